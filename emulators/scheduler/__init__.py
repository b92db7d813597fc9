"""A local stand-in for Cloud Scheduler: HTTP jobs fired on an interval.

In the cloud, Cloud Scheduler calls the reconciler with an OIDC token; locally this process
calls it the same way (POST, the headers Cloud Scheduler sends) so events an outage left
unpublished go out without a manual step. It does not parse cron expressions: a job has a
fixed interval. `GET /` lists the jobs and their last outcome; `POST /jobs/<name>:run` runs one
now (tests use it instead of waiting).
"""
