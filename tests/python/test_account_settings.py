"""Account-wide settings through boto3: the global STS endpoint's token
version, and IAM's Organizations features, which AWS refuses for an
account outside an organization (every Tessera account)."""

import pytest
from botocore.exceptions import ClientError


def test_the_token_version_preference_shows_in_the_account_summary(server):
    iam = server.client("iam")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2


@pytest.mark.parametrize("call", ["list_organizations_features", "enable_organizations_root_sessions",
                                  "disable_organizations_root_sessions",
                                  "enable_organizations_root_credentials_management",
                                  "disable_organizations_root_credentials_management"])
def test_organizations_features_answer_that_no_organization_exists(server, call):
    iam = server.client("iam")
    with pytest.raises(ClientError) as e:
        getattr(iam, call)()
    err = e.value.response["Error"]
    assert err["Code"] == "OrganizationNotFoundException"
    assert err["Message"] == "The request was rejected because no organization is associated with your account."
    assert isinstance(e.value, iam.exceptions.OrganizationNotFoundException)
