"""AWS managed policies that name the services opendynamo serves, by policy name
(`arn:aws:iam::aws:policy/<name>`). AWS's versions grant more services besides (CloudWatch,
Application Auto Scaling, ...); only the statements about DynamoDB, IAM and STS matter here.
"""

from __future__ import annotations

import orjson

_READ_ONLY_DYNAMODB = [
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:Describe*",
    "dynamodb:GetItem",
    "dynamodb:GetRecords",
    "dynamodb:GetResourcePolicy",
    "dynamodb:GetShardIterator",
    "dynamodb:List*",
    "dynamodb:PartiQLSelect",
    "dynamodb:Query",
    "dynamodb:Scan",
]


def _allow(actions: list[str] | str) -> str:
    statement = {"Effect": "Allow", "Action": actions, "Resource": "*"}
    return orjson.dumps({"Version": "2012-10-17", "Statement": [statement]}).decode()


# AWS's IAMUserChangePassword: a user's own password and the account's password policy.
_CHANGE_OWN_PASSWORD = orjson.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:ChangePassword"],
                "Resource": ["arn:aws:iam::*:user/${aws:username}"],
            },
            {"Effect": "Allow", "Action": "iam:GetAccountPasswordPolicy", "Resource": "*"},
        ],
    }
).decode()

AWS_MANAGED: dict[str, str] = {
    "AdministratorAccess": _allow("*"),
    "AmazonDynamoDBFullAccess": _allow(["dynamodb:*", "iam:GetRole", "iam:ListRoles"]),
    "AmazonDynamoDBReadOnlyAccess": _allow(_READ_ONLY_DYNAMODB),
    "IAMFullAccess": _allow("iam:*"),
    "IAMReadOnlyAccess": _allow(["iam:Generate*", "iam:Get*", "iam:List*", "iam:Simulate*"]),
    "IAMUserChangePassword": _CHANGE_OWN_PASSWORD,
}
