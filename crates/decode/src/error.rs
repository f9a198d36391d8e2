use thiserror::Error;

/// Why a file could not be decoded at all.
#[derive(Debug, Error)]
pub enum DecodeError {
    #[error("not a FIT file: {0}")]
    NotFit(String),
    #[error("FIT decode error at byte {offset}: {message}")]
    Fit { offset: usize, message: String },
    #[error("not a {expected} document: {found}")]
    WrongDocument { expected: &'static str, found: String },
    #[error("XML error at byte {offset}: {message}")]
    Xml { offset: u64, message: String },
    #[error("Garmin wellness JSON: {0}")]
    Json(String),
    #[error("decoder panicked: {0}")]
    Panic(String),
    #[error("decoding took longer than {0} s; abandoned")]
    Timeout(u64),
}
