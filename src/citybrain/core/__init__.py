"""Platform core: settings, database, errors, clock, audit ledger, crypto provider.

Everything else in citybrain imports from here; core imports from no other domain.
"""
