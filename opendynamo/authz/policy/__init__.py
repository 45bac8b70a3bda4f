"""IAM's policy language and the identities that hold policies, beneath the authorizer:
`document` validates a policy document as IAM does, `language` compiles it and matches
actions, resources and principals,
`conditions` evaluates their Condition blocks, `evaluate` is IAM's evaluation logic over
identity, resource and trust policies, `identity` finds who a caller is and which policies
apply, and `managed` holds the AWS managed policies served.

The IAM API's handlers (`api/iam`) use this package to validate the documents they store,
so it sits below `api/` in the stack, though it lives beside the decision it serves."""
