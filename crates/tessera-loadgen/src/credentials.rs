//! Reads one profile of an AWS shared-credentials file, such as the
//! `credentials` file the server writes into its data directory at first
//! start. The secret goes straight into a `SecretKey` and is never printed.

use tessera_sigv4::SecretKey;

/// An access key and its secret.
pub struct Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret: SecretKey,
}

/// Finds `profile` in the text of a shared-credentials file.
pub fn parse_profile(text: &str, profile: &str) -> Result<Credentials, String> {
    let mut in_profile = false;
    let mut access_key_id = None;
    let mut secret = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_profile = section.trim() == profile;
            continue;
        }
        if !in_profile {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        match name.trim() {
            "aws_access_key_id" => access_key_id = Some(value.trim().to_owned()),
            "aws_secret_access_key" => secret = Some(SecretKey::new(value.trim().to_owned())),
            _ => {}
        }
    }
    match (access_key_id, secret) {
        (Some(access_key_id), Some(secret)) => Ok(Credentials {
            access_key_id,
            secret,
        }),
        _ => Err(format!(
            "profile `{profile}` with aws_access_key_id and aws_secret_access_key not found"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_profile_is_read_and_others_are_ignored() {
        let text = "[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = nope\n\n\
                    [default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cr/t+=\n";
        let credentials = parse_profile(text, "default").unwrap();
        assert_eq!(credentials.access_key_id, "AKIAEXAMPLE");
        assert_eq!(credentials.secret.expose(), "s3cr/t+=");
    }

    #[test]
    fn a_missing_profile_is_an_error() {
        let text = "[default]\naws_access_key_id = AKIAEXAMPLE\n";
        assert!(parse_profile(text, "default").is_err());
        assert!(parse_profile(text, "absent").is_err());
    }
}
