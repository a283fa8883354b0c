//! The tower `Service` and its response future.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use std::sync::Arc;

use http::header::COOKIE;
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use crate::jar::Cookies;
use crate::snapshot::Config;

/// The service [`SignedCookieLayer`](crate::SignedCookieLayer) wraps around
/// an inner service.
///
/// # Example
///
/// See [`Cookies`].
#[derive(Debug, Clone)]
pub struct SignedCookieService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> SignedCookieService<S> {
    pub(crate) fn new(inner: S, config: Arc<Config>) -> Self {
        Self { inner, config }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SignedCookieService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let cookies = Cookies::from_request(&self.config, request.headers());
        if self.config.any_transparent
            && let Some(stripped) = cookies.stripped_cookie_header(request.headers())
        {
            request.headers_mut().insert(COOKIE, stripped);
        }
        request.extensions_mut().insert(cookies.clone());
        ResponseFuture {
            future: self.inner.call(request),
            cookies: Some(cookies),
        }
    }
}

pin_project! {
    /// The response future of [`SignedCookieService`]: adds the `Set-Cookie`
    /// headers when the inner response is ready.
    pub struct ResponseFuture<F> {
        #[pin]
        future: F,
        cookies: Option<Cookies>,
    }
}

impl<F> core::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.future.poll(cx))?;
        if let Some(cookies) = this.cookies.take() {
            cookies.finish(&mut response);
        }
        Poll::Ready(Ok(response))
    }
}
