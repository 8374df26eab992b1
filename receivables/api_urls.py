"""API of receivables: the release gate, the ERP feeds and the collection work."""

from receivables.collection.api_urls import urlpatterns as collection_urls
from receivables.gate.api_urls import urlpatterns as gate_urls
from receivables.ledger.api_urls import urlpatterns as ledger_urls

urlpatterns = [*gate_urls, *ledger_urls, *collection_urls]
