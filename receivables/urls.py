"""Pages of receivables: the release gate, the ledger's ERP upload and the collection work."""

from receivables.collection.urls import urlpatterns as collection_urls
from receivables.gate.urls import urlpatterns as gate_urls
from receivables.ledger.urls import urlpatterns as ledger_urls

urlpatterns = [*gate_urls, *ledger_urls, *collection_urls]
