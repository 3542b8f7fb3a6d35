from tests.fakes.fixtures import fake_graph, fake_telegram  # noqa: F401
