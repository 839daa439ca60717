from backend.settings_baseline import REQUIRED, problems

GOOD = {key: "x" for key in REQUIRED} | {"ALLOWED_ORIGINS": "https://app.example.com", "DEV_MODE": "false"}


def test_production_baseline_passes():
    assert problems(GOOD) == []


def test_wildcard_cors_dev_mode_and_missing_keys_are_reported():
    bad = GOOD | {"ALLOWED_ORIGINS": "*", "DEV_MODE": "true", "REDIS_URL": ""}
    assert problems(bad) == ["REDIS_URL is missing", "ALLOWED_ORIGINS must list explicit origins, not '*'",
                             "DEV_MODE must be false in production"]
