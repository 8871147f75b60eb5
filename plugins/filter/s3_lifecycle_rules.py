# -*- coding: utf-8 -*-
# Copyright: selfhost.supabase maintainers
# Apache License 2.0
"""S3 lifecycle rules (the API's form) from the minio role's short form."""

DOCUMENTATION = r"""
name: s3_lifecycle_rules
short_description: S3 lifecycle rules in the API's form from C(minio_bucket_lifecycle_rules)
version_added: 1.2.0
description:
  - "Each rule C({id, prefix, expiration_days, noncurrent_expiration_days}) becomes
    C({ID, Status: Enabled, Filter: {Prefix}, Expiration: {Days}}), plus
    C(NoncurrentVersionExpiration: {NoncurrentDays}) when C(noncurrent_expiration_days) is given."
  - A rule without C(id) or C(expiration_days), or with a day count below 1, is an error naming the rule.
options:
  _input:
    description: The rules, as C(minio_bucket_lifecycle_rules) takes them.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
__minio_lifecycle:
  Rules: "{{ minio_bucket_lifecycle_rules | selfhost.supabase.s3_lifecycle_rules }}"
"""

RETURN = r"""
_value:
  description: Rules as the S3 PutBucketLifecycleConfiguration API takes them.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError


def _days(rule, key):
    try:
        days = int(rule[key])
    except (KeyError, TypeError, ValueError):
        raise AnsibleFilterError("minio_bucket_lifecycle_rules: rule %r needs %s as a whole number of days"
                                 % (rule.get("id"), key))
    if days < 1:
        raise AnsibleFilterError("minio_bucket_lifecycle_rules: rule %r: %s must be at least 1" % (rule.get("id"), key))
    return days


def s3_lifecycle_rules(rules):
    out = []
    for rule in rules or []:
        if not isinstance(rule, dict) or not rule.get("id"):
            raise AnsibleFilterError("minio_bucket_lifecycle_rules: every rule needs an id, got %r" % (rule,))
        s3 = {"ID": str(rule["id"]), "Status": "Enabled", "Filter": {"Prefix": str(rule.get("prefix") or "")},
              "Expiration": {"Days": _days(rule, "expiration_days")}}
        if rule.get("noncurrent_expiration_days") is not None:
            s3["NoncurrentVersionExpiration"] = {"NoncurrentDays": _days(rule, "noncurrent_expiration_days")}
        out.append(s3)
    return out


class FilterModule:
    def filters(self):
        return {"s3_lifecycle_rules": s3_lifecycle_rules}
