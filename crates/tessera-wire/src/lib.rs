//! The AWS Query protocol driven by the botocore service models.
