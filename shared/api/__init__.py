"""Routes of each HTTP function: authenticate, parse, call one service, shape the answer.

`functions/<name>/main.py` names one of these modules; `shared.web.LazyApp` imports it on the
first request.
"""
