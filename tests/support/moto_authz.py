"""moto_server for the permission tests: moto's own IAM authorization (turned
on with /moto-api/reset-auth), mended in three places so that it judges IAM
requests as AWS does. Nothing else of moto changes.

1. An IAM request is judged on the resource it names. moto judges every IAM
   request against "*", except one naming an existing role: no statement
   scoped to a policy, a user, a group or an OIDC provider could ever match.
2. ${aws:username} in a policy is the requesting user's name, as IAM resolves
   it (moto leaves policy variables as text).
3. The SigV4 check is skipped: moto re-encodes form bodies with '+' for spaces
   before checking them, so a correctly signed request with a space in a value
   (an IAM Description) fails with SignatureDoesNotMatch.

Outside IAM moto still judges every action against "*": the tests that use
this server run IAM-only checklists.

    python moto_authz.py -H 127.0.0.1 -p PORT
"""

import json
import sys
import threading
from urllib.parse import urlparse

from moto import server
from moto.iam import access_control
from moto.iam.responses import IamResponse

_caller = threading.local()


def _resource(self):
    def one(key):
        return (self.data.get(key) or [None])[0]

    account = self.current_account
    action = self._get_action()

    def arn(kind, name, path=None):
        return f"arn:aws:iam::{account}:{kind}{path or '/'}{name}"

    def existing(get, kind, name):
        try:
            return get(name).arn
        except Exception:
            return arn(kind, name, one("Path"))

    if one("RoleName"):
        return existing(self.backend.get_role, "role", one("RoleName"))
    for key in ("PolicyArn", "OpenIDConnectProviderArn"):
        if one(key):
            return one(key)
    if action == "CreatePolicy":
        return arn("policy", one("PolicyName"), one("Path"))
    if action == "CreateOpenIDConnectProvider":
        return f"arn:aws:iam::{account}:oidc-provider/{urlparse(one('Url')).netloc}"
    if one("UserName"):
        return existing(self.backend.get_user, "user", one("UserName"))
    if one("GroupName"):
        return existing(self.backend.get_group, "group", one("GroupName"))
    return "*"


IamResponse._determine_resource = _resource

_check = access_control.IAMRequestBase.check_action_permitted


def _check_with_caller(self, resource):
    _caller.name = getattr(self._access_key, "_owner_user_name", None)
    try:
        return _check(self, resource)
    finally:
        _caller.name = None


access_control.IAMRequestBase.check_action_permitted = _check_with_caller

_policy_init = access_control.IAMPolicy.__init__


def _policy_with_variables(self, policy):
    _policy_init(self, policy)
    name = getattr(_caller, "name", None)
    if name:
        self._policy_json = json.loads(json.dumps(self._policy_json).replace("${aws:username}", name))


access_control.IAMPolicy.__init__ = _policy_with_variables
access_control.IAMRequestBase.check_signature = lambda self: None

if __name__ == "__main__":
    server.main(sys.argv[1:])
