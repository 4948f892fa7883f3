"""The Deadline Cloud API on a simulated farm (in progress: the service model and its checks).

:mod:`farmsim.api._model` reads the service's shapes from botocore's model of Deadline Cloud
and checks requests and responses against them.
"""
