import pytest


@pytest.fixture
def supervisor_client(client, supervisor):
    client.force_login(supervisor)
    return client
