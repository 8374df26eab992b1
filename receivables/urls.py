urlpatterns: list = []

# Ageing, KPIs and collection (HANDBOOK §8).
from .urls_collection import urlpatterns as _collection_urls  # noqa: E402

urlpatterns += _collection_urls
