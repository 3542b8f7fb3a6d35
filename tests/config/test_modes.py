import os

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.skipif(os.environ.get("REQUIRE_SERVICES") != "1", reason="only asserted when REQUIRE_SERVICES=1")
def test_services_mode_really_uses_postgresql_and_redis():
    from channels.layers import get_channel_layer

    assert connection.vendor == "postgresql"
    assert type(get_channel_layer()).__name__ == "RedisPubSubChannelLayer"
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
