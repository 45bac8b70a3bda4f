"""Authorization: the one place where a decoded request becomes the resources it touches and
IAM's decision on them.

For every served action a resolver (`dynamodb`, `iam`) reads the decoded request (after
decompression and JSON or form decoding, never raw bytes) and returns the accesses it needs:
actions, resources, condition keys, and each resource resolved to its ref (`engine/arns`, a
bucket, an IAM entity). `decide` weighs them by mode; `authorize` is what `server/` calls,
once per request. The operation then runs with exactly those refs granted
(`api/request/context.Grants`), or for IAM and STS with the one entity decided on
(`Context.target`): it cannot reach a resource the decision did not cover.

Beneath the decision, `policy/` is IAM's policy language, its evaluation logic and the
identities that hold policies.
"""
