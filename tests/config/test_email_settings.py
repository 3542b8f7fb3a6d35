"""EMAIL_URL becomes Django's default mailer."""

from config.env import email_from_url


def test_smtp_on_587_uses_starttls_and_decodes_credentials():
    mailer = email_from_url("smtp://parley%40example.com:p%40ss%2Fword@mail.example.com:587")

    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailer["OPTIONS"] == {"host": "mail.example.com", "port": 587, "username": "parley@example.com",
                                 "password": "p@ss/word", "use_tls": True, "use_ssl": False, "timeout": 10}


def test_smtps_uses_implicit_tls_on_465_by_default():
    options = email_from_url("smtps://u:p@mail.example.com")["OPTIONS"]

    assert (options["port"], options["use_ssl"], options["use_tls"]) == (465, True, False)


def test_console_prints_to_the_log():
    assert email_from_url("console://") == {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
