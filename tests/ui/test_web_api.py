"""The web_url page through gradio_client, as an API user would call it."""
from __future__ import annotations

import httpx
import pytest
from gradio_client import Client

RED_FLAG = "my knee gave way and I can't put weight on it"
SYMPTOM = "I feel a pull behind my knee when I stretch"

pytestmark = pytest.mark.slow


def client(url: str) -> Client:
    return Client(url, verbose=False, download_files=False)


def test_only_chat_is_offered(web_url):
    api = client(web_url).view_api(print_info=False, return_format="dict")
    assert list(api["named_endpoints"]) == ["/chat"]
    assert not api["unnamed_endpoints"]


def test_two_clients_hold_separate_conversations(web_url):
    alice, bob = client(web_url), client(web_url)
    first = alice.predict(RED_FLAG, api_name="/chat")
    assert first["triage"] == "seek_care" and "knee_instability" in first["red_flags"]
    assert first["escalation"]

    other = bob.predict(SYMPTOM, api_name="/chat")
    assert other["triage"] == "self_care" and other["red_flags"] == [] and other["escalation"] is None
    assert other["question"]

    # Each keeps its own state on the next turn: Alice's triage stays raised, Bob's does not rise.
    again = alice.predict("ok", api_name="/chat")
    assert again["triage"] == "seek_care" and again["escalation"]
    later = bob.predict("no", api_name="/chat")
    assert later["triage"] == "self_care" and later["red_flags"] == []


def test_red_flag_returns_the_escalation(web_url):
    reply = client(web_url).predict(RED_FLAG, api_name="/chat")
    assert reply["escalation"] and reply["triage"] in {"seek_care", "emergency"}
    assert {"text", "triage", "red_flags", "question", "citations", "causes"} <= reply.keys()


def test_an_empty_message_is_refused_in_words(web_url):
    with pytest.raises(Exception) as failure:
        client(web_url).predict("   ", api_name="/chat")
    assert "Please send a message" in str(failure.value)
    assert "Traceback" not in str(failure.value)


def test_a_huge_message_gets_a_polite_reply(web_url):
    reply = client(web_url).predict("my knee hurts " * 20_000, api_name="/chat")
    assert reply["text"] and "Traceback" not in reply["text"]


def test_private_page_events_cannot_be_called(web_url):
    page_events = client(web_url)
    for index in range(6):
        with pytest.raises(ValueError, match="Invalid function index"):
            page_events.predict(SYMPTOM, None, fn_index=index)



def test_auth_and_root_path_are_applied(serve_web):
    url = serve_web(auth="alice:s3cret", root_path="/kneebot")
    assert httpx.get(url + "config").status_code == 401
    with httpx.Client() as session:
        login = session.post(url + "login", data={"username": "alice", "password": "s3cret"})
        assert login.status_code == 200
        config = session.get(url + "config").json()
    assert config["root"].endswith("/kneebot")
    reply = Client(url, auth=("alice", "s3cret"), verbose=False).predict(SYMPTOM, api_name="/chat")
    assert reply["question"]
