//! Object payloads: Django's JSON, optionally zlib-compressed, in base64.
//!
//! Wire form: `[.]b64u(json or zlib(json))`, then signed. The `.` marker is part
//! of the signed text, so nothing is ever decompressed before the signature has
//! been checked, and then never past a size limit.

use core::cell::RefCell;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::encoding::{b64u_encode, python_b64decode};
use crate::error::{Error, PayloadError, Result};
use crate::json;

/// `[.]b64u(payload)`: compressed only when that saves at least two bytes, as
/// Django's `if len(compressed) < len(data) - 1`.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T, compress: bool) -> Result<String> {
    let data = json::to_vec(value).map_err(|e| Error::Payload(e.into_payload_error()))?;
    if compress {
        let compressed = zlib_compress(&data);
        if compressed.len() + 1 < data.len() {
            return Ok(format!(".{}", b64u_encode(&compressed)));
        }
    }
    Ok(b64u_encode(&data))
}

/// Decodes a verified payload: strip the marker, base64 leniently, inflate up
/// to `limit` bytes, then parse the JSON as Latin-1.
pub(crate) fn decode<T: DeserializeOwned>(payload: &str, limit: usize) -> Result<T> {
    json::from_slice(&decode_bytes(payload, limit)?)
        .map_err(|e| Error::Payload(e.into_payload_error()))
}

/// Decodes a verified payload into Django's JSON tree, without a serde pass.
pub(crate) fn decode_value(payload: &str, limit: usize) -> Result<json::Value> {
    json::parse_value(&decode_bytes(payload, limit)?)
        .map_err(|e| Error::Payload(e.into_payload_error()))
}

/// The JSON bytes of a verified payload: marker, base64, zlib.
fn decode_bytes(payload: &str, limit: usize) -> Result<Vec<u8>> {
    let (compressed, text) = match payload.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, payload),
    };
    let data = python_b64decode(text.as_bytes()).ok_or(Error::Payload(PayloadError::Base64))?;
    if compressed {
        zlib_decompress(&data, limit).map_err(Error::Payload)
    } else {
        Ok(data)
    }
}

/// `zlib.compress(data)`: level 6, 32 KiB window, one shot. With the stock zlib
/// backend the bytes are the same as CPython's.
fn zlib_compress(data: &[u8]) -> Vec<u8> {
    // zlib's state is a quarter of a megabyte; keep one per thread and reset
    // it, which gives the same bytes as a fresh one.
    thread_local! {
        static DEFLATER: RefCell<Compress> = RefCell::new(Compress::new(Compression::new(6), true));
    }
    DEFLATER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut deflater) => {
            deflater.reset();
            compress_with(&mut deflater, data)
        }
        Err(_) => compress_with(&mut Compress::new(Compression::new(6), true), data),
    })
}

fn compress_with(deflater: &mut Compress, data: &[u8]) -> Vec<u8> {
    // zlib's deflateBound for the default settings, plus room for the header.
    let mut out = Vec::with_capacity(data.len() + data.len() / 1000 + 64);
    loop {
        let consumed = usize::try_from(deflater.total_in())
            .unwrap_or(data.len())
            .min(data.len());
        match deflater.compress_vec(&data[consumed..], &mut out, FlushCompress::Finish) {
            Ok(Status::StreamEnd) => return out,
            Ok(_) => out.reserve(out.capacity().max(64)),
            // Compression into a growing buffer does not fail; fall back to
            // the uncompressed form by returning something that is not shorter.
            Err(_) => return data.to_vec(),
        }
    }
}

/// `zlib.decompress(data)` with an output cap: the stream must end (trailing
/// bytes after its end are ignored, as in Python), and inflating stops as soon
/// as the output would pass `limit`.
///
/// # Errors
///
/// [`PayloadError::Zlib`] for what Python's `zlib.decompress` refuses,
/// [`PayloadError::TooLarge`] past `limit`.
pub fn zlib_decompress(data: &[u8], limit: usize) -> core::result::Result<Vec<u8>, PayloadError> {
    thread_local! {
        static INFLATER: RefCell<Decompress> = RefCell::new(Decompress::new(true));
    }
    INFLATER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut inflater) => {
            inflater.reset(true);
            decompress_with(&mut inflater, data, limit)
        }
        Err(_) => decompress_with(&mut Decompress::new(true), data, limit),
    })
}

fn decompress_with(
    inflater: &mut Decompress,
    data: &[u8],
    limit: usize,
) -> core::result::Result<Vec<u8>, PayloadError> {
    let mut out = Vec::with_capacity(
        data.len()
            .saturating_mul(4)
            .max(64)
            .min(limit.saturating_add(1)),
    );
    loop {
        let consumed = usize::try_from(inflater.total_in())
            .unwrap_or(data.len())
            .min(data.len());
        let produced_before = out.len();
        let status = inflater
            .decompress_vec(&data[consumed..], &mut out, FlushDecompress::None)
            .map_err(|_| PayloadError::Zlib)?;
        if out.len() > limit {
            return Err(PayloadError::TooLarge { limit });
        }
        if status == Status::StreamEnd {
            return Ok(out);
        }
        let consumed_now = usize::try_from(inflater.total_in()).unwrap_or(data.len());
        if out.len() == out.capacity() {
            // Grow, but never past one byte over the limit: that byte is enough
            // to tell that the payload is too large.
            let room = out.capacity().min(limit.saturating_add(1) - out.len());
            out.reserve_exact(room.max(1));
        } else if consumed_now >= data.len()
            || (consumed_now == consumed && out.len() == produced_before)
        {
            // Input exhausted (or no progress) before the end of the stream.
            return Err(PayloadError::Zlib);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_is_kept_only_when_it_saves_two_bytes() {
        assert_eq!(encode(&1, true).unwrap(), "MQ");
        let long = vec![7; 100];
        assert!(encode(&long, true).unwrap().starts_with('.'));
        assert!(!encode(&long, false).unwrap().starts_with('.'));
    }

    #[test]
    fn compressed_bytes_match_cpython_zlib() {
        // django-compat.md §13: dumps(list(range(30)), compress=True).
        let payload = encode(&(0..30).collect::<Vec<_>>(), true).unwrap();
        assert_eq!(
            payload,
            ".eJwNy8kNACEQA8GE-oHNXMSCNv80lm9JdRfCbIKkaIaDHgoZbRQoUaFGgw5e-B3jjQMnLtx48Pl-gH4Pug"
        );
    }

    #[test]
    fn decompression_stops_at_the_limit() {
        let bomb = zlib_compress(&vec![0; 1 << 20]);
        assert!(bomb.len() < 2000);
        assert_eq!(
            zlib_decompress(&bomb, 1000),
            Err(PayloadError::TooLarge { limit: 1000 })
        );
        assert_eq!(
            zlib_decompress(&bomb, 1 << 20).map(|v| v.len()),
            Ok(1 << 20)
        );
    }

    #[test]
    fn truncated_and_trailing_streams_behave_like_python() {
        let stream = zlib_compress(b"hello world");
        assert_eq!(
            zlib_decompress(&stream[..stream.len() - 1], 100),
            Err(PayloadError::Zlib)
        );
        assert_eq!(zlib_decompress(&[], 100), Err(PayloadError::Zlib));
        let mut trailing = stream.clone();
        trailing.extend_from_slice(b"xyz");
        assert_eq!(
            zlib_decompress(&trailing, 100).as_deref(),
            Ok(&b"hello world"[..])
        );
    }
}
