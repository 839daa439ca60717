from backend.persona_feedback_learning import learn


def test_empty_batch_learns_nothing():
    adj = learn([])
    assert (adj.score, adj.events, adj.themes, adj.publish) == (0.0, 0, (), False)


def test_score_and_negative_themes():
    events = [
        {"rating": -1, "comment": "Too long, too formal."},
        {"rating": -1, "comment": "long answer"},
        {"rating": 1, "comment": "long but good"},
        {"rating": 1},
    ]
    adj = learn(events)
    assert adj.score == 0.0 and adj.events == 4
    assert adj.themes[0] == "long"
    assert "good" not in adj.themes  # positive comments are not complaints


def test_publish_needs_auto_publish_and_a_passing_gate():
    events = [{"rating": 1}]
    assert not learn(events).publish
    assert learn(events, auto_publish=True).publish
    assert not learn(events, auto_publish=True, regression_gate_passed=False).publish
