//! The HTTP server: request pipeline from SigV4 to encoded response.
