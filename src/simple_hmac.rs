//! HMAC over hashes that have no eager block-level core (BLAKE2, SHA-3).
//!
//! `hmac::Hmac` needs a hash whose block-level core buffers eagerly; BLAKE2's
//! buffers lazily and `sha3` 0.12 has no block-level core at all. `hmac`'s own
//! `SimpleHmac` covers such hashes but does not wipe its outer key on drop, so
//! this is the same construction (RFC 2104, as Python's `hmac` module computes
//! it) with the key block wiped. The inner hash state wipes itself (the hash
//! crates' `zeroize` feature).
//!
//! The block size is the hash's `BlockSizeUser::BlockSize`, which matches
//! Python's `hashlib` `block_size` for every hash used here (BLAKE2b 128,
//! BLAKE2s 64, SHA3-224/256/384/512 144/136/104/72; tested below).

use hmac::digest::common::{Block, BlockSizeUser, InvalidLength, Key, KeySizeUser};
use hmac::digest::{Digest, FixedOutput, KeyInit, MacMarker, Output, OutputSizeUser, Update};
use zeroize::Zeroize;

const IPAD: u8 = 0x36;
const OPAD: u8 = 0x5c;

/// HMAC-`D`, keyed: the hash already fed `K ⊕ ipad`, and `K ⊕ opad` kept for
/// the outer hash.
#[derive(Clone)]
pub(crate) struct SimpleHmac<D: Digest + BlockSizeUser> {
    inner: D,
    opad_key: Block<D>,
}

impl<D: Digest + BlockSizeUser> SimpleHmac<D> {
    fn with_key(key: &[u8]) -> Self {
        let mut block = Block::<D>::default();
        if key.len() <= block.len() {
            block[..key.len()].copy_from_slice(key);
        } else {
            // A key longer than a block is hashed first (RFC 2104, and Python).
            let mut hashed = D::digest(key);
            let len = hashed.len().min(block.len());
            block[..len].copy_from_slice(&hashed[..len]);
            hashed.as_mut_slice().zeroize();
        }
        block.iter_mut().for_each(|byte| *byte ^= IPAD);
        let mut inner = D::new();
        Digest::update(&mut inner, &block);
        block.iter_mut().for_each(|byte| *byte ^= IPAD ^ OPAD);
        Self {
            inner,
            opad_key: block,
        }
    }
}

impl<D: Digest + BlockSizeUser> Drop for SimpleHmac<D> {
    fn drop(&mut self) {
        self.opad_key.as_mut_slice().zeroize();
    }
}

impl<D: Digest + BlockSizeUser> KeySizeUser for SimpleHmac<D> {
    type KeySize = D::BlockSize;
}

impl<D: Digest + BlockSizeUser> KeyInit for SimpleHmac<D> {
    fn new(key: &Key<Self>) -> Self {
        Self::with_key(key)
    }

    fn new_from_slice(key: &[u8]) -> Result<Self, InvalidLength> {
        Ok(Self::with_key(key))
    }
}

impl<D: Digest + BlockSizeUser> MacMarker for SimpleHmac<D> {}

impl<D: Digest + BlockSizeUser> Update for SimpleHmac<D> {
    fn update(&mut self, data: &[u8]) {
        Digest::update(&mut self.inner, data);
    }
}

impl<D: Digest + BlockSizeUser> OutputSizeUser for SimpleHmac<D> {
    type OutputSize = <D as OutputSizeUser>::OutputSize;
}

impl<D: Digest + BlockSizeUser> FixedOutput for SimpleHmac<D> {
    fn finalize_into(mut self, out: &mut Output<Self>) {
        // `self` is wiped when dropped, so its hash is taken, not moved out.
        let mut inner = core::mem::replace(&mut self.inner, D::new()).finalize();
        let mut outer = D::new();
        Digest::update(&mut outer, &self.opad_key);
        Digest::update(&mut outer, &inner);
        Digest::finalize_into(outer, out);
        inner.as_mut_slice().zeroize();
    }
}

#[cfg(test)]
mod tests {
    use hmac::Mac;

    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn hmac_hex<D: Digest + BlockSizeUser + Clone>(key: &[u8], message: &[u8]) -> String {
        let mac = <SimpleHmac<D> as KeyInit>::new_from_slice(key).unwrap();
        hex(&mac.chain_update(message).finalize().into_bytes())
    }

    fn python_hmac_hex(name: &str, key: &[u8], message: &[u8]) -> String {
        match name {
            "blake2b" => hmac_hex::<blake2::Blake2b512>(key, message),
            "blake2s" => hmac_hex::<blake2::Blake2s256>(key, message),
            "sha3_224" => hmac_hex::<sha3::Sha3_224>(key, message),
            "sha3_256" => hmac_hex::<sha3::Sha3_256>(key, message),
            "sha3_384" => hmac_hex::<sha3::Sha3_384>(key, message),
            "sha3_512" => hmac_hex::<sha3::Sha3_512>(key, message),
            other => panic!("no such hash here: {other}"),
        }
    }

    /// Known answers from CPython 3.11's `hmac.new(key, b"signring",
    /// hashlib.X).hexdigest()` with `key = bytes(i % 256 for i in range(n))`,
    /// for key lengths 0, one under each hash's block size, equal, one over
    /// (the key is then hashed first) and 300. A wrong block size changes the
    /// padding and so every answer.
    #[rustfmt::skip]
    const PYTHON: &[(&str, usize, &str)] = &[
        ("blake2b", 0, "ddf768c348a93e487f32dd9c21562b926414226f822051bb2cb1e48fe39b73f650b8eb6d807de10789bf72e58a1519e6a338fec94bb9fd97f52c531329ef10e0"),
        ("blake2b", 127, "78b6a727f4e6ba02ef1aafbc906ab49128f77d63474d2ff2f10010e8954ecde5051b8e60235cc22ac48de9e13a7803938207edb33190aa13ea4c8f1ad62e93b8"),
        ("blake2b", 128, "2ce046c8953dbda11051bf08352ff75ca6d055c1620a79efb1cadc11ab8e2392a8b07c320fc6eee1f50336a1f308d31667756260bc6392a1259c7782d105e9f4"),
        ("blake2b", 129, "c6adc544bf391b06ada83d9f38b4e0f06e9e41959348c70457479e35c5b8b041a6ccfc69c2c309f91f4a76bad460ec0a78eda6658d2be14ea888c037fbdb7175"),
        ("blake2b", 300, "adcfb3e55dba567e4475ac601cb5bce5d9d1c54e13a1f40ef37a359ce761c1c425b8d6b62b63702e004df48416fa5ce1b2f5cbb8e1209c8388c0fb1819536fff"),
        ("blake2s", 0, "db048a1d4392c211c4c8d6f43f2bd37082a0e4054fc55bacc3dc485d5e456878"),
        ("blake2s", 63, "2a8a2e2e797f12ecb1f154ee11c3ed9860f0f4f2c9233745604acd5062c5c2c1"),
        ("blake2s", 64, "ca74fa29efe49ed3ad9b8b8fd2c3c1a6fa81a17a849733a765b4ccabb63684a3"),
        ("blake2s", 65, "16679f84b9a02cb0ee39652848a1247af459ce828ad0a40c6dd6bfd1009b1503"),
        ("blake2s", 300, "40d3cb50ab744760bfc3a35aafbbc7f03a113a3261b7a2fe0869218c6dd2d518"),
        ("sha3_224", 0, "307c044225f2743b93bc0fb1811d349363ccf4d3f8823b7f42733892"),
        ("sha3_224", 143, "177d6e44e532cdb00b6263e8c4ecef9e1b0e8a2678538e9e46da67fb"),
        ("sha3_224", 144, "1e672edaccf3439eee70c69327cd12ade75ca84951c7962c5b43d60d"),
        ("sha3_224", 145, "26cab0ec77b255479a0111446d665f11b0107602c3258f61c2c174d1"),
        ("sha3_224", 300, "6f3c4cfd4efd53d6feda031aee9ca139f10c6b2f4cb83ba7b691f3ca"),
        ("sha3_256", 0, "6f0793114f9007cece21873446d6e97cfc80af3b92c8a4cd075bba7e8a6a6667"),
        ("sha3_256", 135, "cd9017006fac6f661dd21f8c7bbf53f2a8ecbaf0f45106d89555a7df42c10f46"),
        ("sha3_256", 136, "3966241ade7156f2b8d2e1f7b5421282ec267d67d9bab05a7f96460ba748fcb7"),
        ("sha3_256", 137, "ad55a795c31fb2d1a2a5b669351a5f7438280f06fee53138bd1586671f53d91e"),
        ("sha3_256", 300, "fc78097636178422ee3e7b8fc18cb76cf6eea1324786511d66907c8073bdb18e"),
        ("sha3_384", 0, "5c17a15fd4252232dc343b3b853ab208d862428f23b3722f3518af564148c2c1e18df204818b4743cf1b94827982d1e7"),
        ("sha3_384", 103, "0b256a27d2c228fbd4fc63df7f91c8e1c35139095ea37e518f097d53424af90a2f0f9621a22e3f8249cadf6893116366"),
        ("sha3_384", 104, "85b8d6546e04ea1d8d981344eb8bd123b7182d8dbcd59461fb72c55a2f148eb2f6cd247076c684ac2985feb540aa6a05"),
        ("sha3_384", 105, "022a4df216a478108be6c3c8493cb7eec1a70f86170e242165b45a49003a17b78e5f8b1e2164ccb1c7604834547a782c"),
        ("sha3_384", 300, "f8b9d48b943d76eb1d549337db667b8e80432a25bb4e198427ace600f3e3726d2cdfb9a6abe4570f229af3903d4c2ef1"),
        ("sha3_512", 0, "f8f5f58c82c5ddead78cfa768d063616106546490ae33dda364631cb5e36b51858744a54e96dd1a7820f4bb5b8d2230ec379983c8353820fe7c586051064c7d6"),
        ("sha3_512", 71, "afd3c370fc9eea003ca0aad837dffdc33461bd0bb4dc18007fefbaa70a451eaee445c9e54ef97724b9154badcac720d91edc98b7531e61498829bc7b3597abed"),
        ("sha3_512", 72, "1399cb677691891ce5286958867b635bf39bf6c098cc36a81542f73438ca959ba2e22cbeaa4252acbabee25ac07f533a51e9014fbc7418a81b07265a501b35f5"),
        ("sha3_512", 73, "ce0052d0cf4d0e0a027b72d148b1e6bd9f80e7e03fbf1bc6d6b37b1481312be1ef286c3183ba99d836c28e662acfaa03d40f64fe2b9e37f789b09a0434ac8eb0"),
        ("sha3_512", 300, "d0c9e718929ed6ab479ee7cbc2c74510626b66e633e29e42ee1a568b8467ea99cdc3ab808ee255e10c70e6c5624dc3ea975b454d224220504ccfc784bb81ad10"),
    ];

    #[test]
    fn matches_python_hmac_around_the_block_size() {
        for &(name, key_len, expected) in PYTHON {
            let key: Vec<u8> = (0..=u8::MAX).cycle().take(key_len).collect();
            assert_eq!(
                python_hmac_hex(name, &key, b"signring"),
                expected,
                "{name} with a {key_len}-byte key"
            );
        }
    }

    #[test]
    fn block_sizes_are_pythons() {
        // hashlib.X().block_size in CPython 3.11.
        assert_eq!(<blake2::Blake2b512 as BlockSizeUser>::block_size(), 128);
        assert_eq!(<blake2::Blake2s256 as BlockSizeUser>::block_size(), 64);
        assert_eq!(<sha3::Sha3_224 as BlockSizeUser>::block_size(), 144);
        assert_eq!(<sha3::Sha3_256 as BlockSizeUser>::block_size(), 136);
        assert_eq!(<sha3::Sha3_384 as BlockSizeUser>::block_size(), 104);
        assert_eq!(<sha3::Sha3_512 as BlockSizeUser>::block_size(), 72);
    }

    #[test]
    fn verify_slice_accepts_only_the_tag() {
        let mac = <SimpleHmac<sha3::Sha3_256> as KeyInit>::new_from_slice(b"k").unwrap();
        let tag = mac.clone().chain_update(b"m").finalize().into_bytes();
        assert!(mac.clone().chain_update(b"m").verify_slice(&tag).is_ok());
        let mut flipped = tag;
        flipped[31] ^= 1;
        assert!(
            mac.clone()
                .chain_update(b"m")
                .verify_slice(&flipped)
                .is_err()
        );
        assert!(mac.chain_update(b"m").verify_slice(&tag[..31]).is_err());
    }
}
