"""One AWS account on a RustStack server: its endpoint, region and credentials (the access
key is the 12-digit account id, which RustStack takes as that account), clients for it,
and the account-scoped reset."""

import json
import secrets
import urllib.error
import urllib.request

TEST_SECRET = "test"


def new_account_id():
    """A random 12-digit account id (never RustStack's default 000000000000). Random ids
    keep parallel sessions and xdist workers on one server apart without coordination:
    two tests share an account with probability about n^2 / 1.8e12."""
    return str(100000000000 + secrets.randbelow(900000000000))


class Account:
    """What the ``ruststack`` fixture gives a test."""

    def __init__(self, endpoint, region, account_id=None):
        self.endpoint = endpoint.rstrip("/")
        self.region = region
        self.account_id = account_id or new_account_id()
        self.access_key_id = self.account_id
        self.secret_access_key = TEST_SECRET

    # the names people look for
    @property
    def account(self):
        return self.account_id

    @property
    def credentials(self):
        return {"aws_access_key_id": self.access_key_id,
                "aws_secret_access_key": self.secret_access_key}

    def env(self):
        """The environment variables that point boto3, the AWS CLI and other SDKs at this
        account on this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    def session(self):
        import boto3

        return boto3.session.Session(region_name=self.region, **self.credentials)

    def client(self, service, **kwargs):
        kwargs.setdefault("endpoint_url", self.endpoint)
        return self.session().client(service, **kwargs)

    def resource(self, service, **kwargs):
        kwargs.setdefault("endpoint_url", self.endpoint)
        return self.session().resource(service, **kwargs)

    def reset(self, timeout=60):
        """Drop everything of this account on the server: S3 buckets and objects,
        DynamoDB tables (every region), Lambda functions, function URLs, API Gateway APIs
        and domain names. Returns the server's answer (what was dropped); raises
        RuntimeError when the server could not drop everything."""
        url = "%s/_ruststack/reset?account=%s" % (self.endpoint, self.account_id)
        req = urllib.request.Request(url, data=b"", method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            body = e.read().decode(errors="replace")
            raise RuntimeError("RustStack could not reset account %s (HTTP %d): %s"
                               % (self.account_id, e.code, body)) from None

    def __repr__(self):
        return "Account(endpoint=%r, region=%r, account_id=%r)" % (
            self.endpoint, self.region, self.account_id)
