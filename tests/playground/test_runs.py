"""The plan for the next Train, without Qt: Keras's initial_epoch, said before it is done."""
from playground.core.runs import Plan, Run, plan_for


def a_run(epochs_done, diverged=False):
    return Run(1, "512 relu · rmsprop lr=0.001 · bs 128", (), None, None, epochs_done=epochs_done,
               position=float(epochs_done), started=True, diverged=diverged)


def test_a_new_run_trains_epochs_1_to_the_setting():
    assert plan_for(None, 5) == Plan(False, 1, 5)
    assert plan_for(None, 5).text == "Train: epochs 1 to 5"


def test_continue_trains_up_to_the_epochs_setting_not_that_many_more():
    plan = plan_for(a_run(5), 10)  # fit(epochs = 10, initial_epoch = 5)
    assert (plan.continues, plan.first, plan.last, plan.blocked) == (True, 6, 10, "")
    assert plan.text == "Continue: epochs 6 to 10"


def test_a_run_that_reached_the_setting_waits_for_a_higher_one():
    for epochs in (5, 3):
        plan = plan_for(a_run(5), epochs)
        assert plan.blocked.startswith("Run 1 has trained 5 epochs") and "raise Epochs" in plan.blocked


def test_a_diverged_run_offers_reset_weights_not_continue():
    plan = plan_for(a_run(0, diverged=True), 5)
    assert "diverged" in plan.blocked and "Reset weights" in plan.blocked


def test_the_button_says_it_in_fewer_characters():
    assert plan_for(a_run(5), 10).button_text == "Continue: epochs 6–10"
    assert plan_for(None, 1).button_text == "Train: epoch 1"
