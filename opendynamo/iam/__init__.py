"""IAM for opendynamo: the policy language (`policy`, `conditions`), the identities that hold
policies (`identity`), and the decision whether a request is allowed (`decide`)."""
