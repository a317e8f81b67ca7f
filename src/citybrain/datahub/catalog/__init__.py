"""政务信息资源目录 (GB/T 21063): resources, their data items, share and open attributes.
A resource is registered by the big-data bureau for a provider department; every change makes
a new version; ingestion, quality and sharing all refer to a resource by its code."""
