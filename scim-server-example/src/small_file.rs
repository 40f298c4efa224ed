//! Reading the small files an operator names (the TLS certificate and key, the token
//! file) with a bound, so that a path to a device (`/dev/zero`) or to a huge file by
//! mistake is a typed start-up error instead of memory growing until the process dies.

use std::io::Read;
use std::path::Path;

/// Most bytes such a file may hold: far more than a PEM certificate chain, a private key
/// or a token needs.
pub(crate) const MAX_BYTES: u64 = 1024 * 1024;

/// The contents of `path`, at most [`MAX_BYTES`]; a longer file is an
/// [`InvalidData`](std::io::ErrorKind::InvalidData) error saying so.
pub(crate) fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "the file is larger than {MAX_BYTES} bytes, so it is not the file expected here"
            ),
        ));
    }
    Ok(bytes)
}

/// [`read`] as UTF-8 text.
pub(crate) fn read_to_string(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read(path)?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}
