"""Identity and access (身份与权限): local accounts (argon2id, 等保 or ASVS password policy,
lockout, TOTP), server-side sessions, OIDC sign-in, API keys for department systems, roles
carrying ``<domain>:<verb>`` permission codes, the region data scope, and 三权分立 between the
system, security and audit administrators. Implements the ``core.security`` port; see
docs/iam.md.
"""
