"""The audit ledger (审计日志): an append-only, HMAC-SM3-chained record of every state change,
login event and read of personal data, written in the same transaction as the change. Only the
audit administrator reads it; ``citybrain audit verify`` proves the chain holds."""
