"""Schemas of the accounts' answers (/api/me), for /openapi.json."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Integer, List, Nested, String

from ..auth import ROLES


class FeatureRef(Schema):
    layer = String(required=True)
    id = Integer(required=True)


class UserInfo(Schema):
    id = Integer(required=True)
    username = String(required=True)
    role = String(required=True, metadata={"enum": list(ROLES)})
    features = List(Nested(FeatureRef), required=True, metadata={"description": "what the user runs or stands for"})
    disabled = Boolean(required=True)


class Me(Schema):
    user = Nested(UserInfo, required=True)
    csrf_token = String(required=True, allow_none=True,
                        metadata={"description": "for a browser session: send it as X-CSRF-Token when changing things"})
