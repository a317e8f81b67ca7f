"""全局检索: one index of the things people look for (catalog resources, 专报, indicators,
events, news), each with the path where it lives. Owners publish ``searchable.changed`` /
``searchable.removed`` domain events (``contract``); the index follows them after commit, and
``citybrain search reindex`` rebuilds it from the registered providers. Reads are scoped by
region, permission and department like the objects themselves (``queries``)."""
