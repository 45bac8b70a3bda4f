"""Designs as code (`opendynamo design`): a NoSQL Workbench model or a CloudFormation
template read into one description of tables (model, with a reader per format), compared with
the tables a server has into a plan of changes (plan), applied through the DynamoDB API
(client), and the live tables written back out as a Workbench model (export)."""
