"""Open catalog APIs (开放目录): the part of the catalog whose open attribute is 无条件开放 or
有条件开放, served without login as DCAT JSON-LD, as a read-only CKAN action API (so existing
CKAN clients read it unchanged) and as a plain JSON list with CSV downloads. Resources that are
不予开放 or retired never appear here."""
