//! `tessera delegation token`: the exchange token `SendDelegationToken`
//! released for a delegation request. AWS publishes it to the partner's
//! SNS topic; Tessera has no such channel, so it keeps the token sealed
//! on the request and the operator hands it to the partner from here.

use std::path::PathBuf;

use anyhow::bail;

use crate::accounts::open_installation;

/// Which token to read, of which installation.
#[derive(Debug, Clone)]
pub struct TokenQuery {
    /// The data directory of the installation.
    pub data_dir: PathBuf,
    /// A PostgreSQL URL, when the installation uses PostgreSQL.
    pub database_url: Option<String>,
    /// The delegation request id.
    pub request_id: String,
}

/// The exchange token of the request, to be printed for the partner.
pub fn sent_token(query: &TokenQuery) -> anyhow::Result<tessera_iam::crypto::Secret> {
    let installation = open_installation(&query.data_dir, query.database_url.clone())?;
    match tessera_iam::ops::sent_delegation_token(
        installation.store.as_ref(),
        &installation.kek,
        &query.request_id,
    ) {
        Ok(Some(token)) => Ok(token),
        Ok(None) => bail!(
            "delegation request {} does not exist or its token has not been sent",
            query.request_id
        ),
        Err(error) => bail!("{}", error.message),
    }
}
