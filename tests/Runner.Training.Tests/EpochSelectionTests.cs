using Runner.Sweeps;
using Runner.Training.Engine;

namespace Runner.Training.Tests;

/// <summary>
/// The sweep's objective picks the epoch a trial is tested with, and patience stops a trial that no longer improves.
/// The trials here go wrong on purpose: a warm-up to a rate far too high for Adam (0.3) lets the first epoch learn at
/// small rates, then wrecks the model (validation loss from about 1.2 to 9..56 on this machine), so the best epoch
/// is early and not the last.
/// </summary>
[Collection("torch")]
public class EpochSelectionTests(SharedArtifacts shared)
{
    static TrialSpec Overfitting(int epochs) =>
        TestData.SmallTrial(init: "scratch", seed: 3, lr: 0.3, epochs: epochs) with { WarmupEpochs = 5, Metric = "val_loss", Minimize = true, Select = "best" };

    [Fact]
    public void The_test_metrics_are_those_of_the_epoch_the_objective_chose_on_validation_with_its_weights_restored()
    {
        var env = TestData.Environment(shared.Folder);
        var spec = Overfitting(6);
        var r = TrialRunner.Run(spec, env);
        var chosen = spec.Objective.Best(r.Epochs)!;
        Assert.Equal(chosen.Epoch, r.SelectedEpoch);
        Assert.True(chosen.Epoch < 6, $"the setup should overfit: lowest validation loss at epoch {chosen.Epoch} of 6");
        Assert.Equal(chosen.ValLoss, r.ObjectiveValue);

        // Training the same trial only up to that epoch gives the very weights it restored: the same test scores. (The
        // warm-up's rates depend on its length only, so the shorter run's epochs are the longer one's first.)
        var shorter = TrialRunner.Run(spec with { Epochs = chosen.Epoch, Select = null }, env);
        Assert.Equal(shorter.TestLoss, r.TestLoss);
        Assert.Equal(shorter.TestAccuracy, r.TestAccuracy);
        Assert.Equal(chosen.Epoch, shorter.SelectedEpoch);

        // select: last tests the weights of epoch 6, which scored worse on validation.
        var last = TrialRunner.Run(spec with { Select = null }, env);
        Assert.Equal(6, last.SelectedEpoch);
        Assert.NotEqual(r.TestLoss, last.TestLoss);
        Assert.NotEqual(spec.Id, (spec with { Select = null }).Id);
    }

    [Fact]
    public void A_trial_continued_from_its_checkpoint_still_tests_the_best_epochs_weights()
    {
        var spec = Overfitting(6);
        var uninterrupted = TrialRunner.Run(spec, TestData.Environment(ScratchFolders.New("calm")));
        int best = uninterrupted.SelectedEpoch!.Value;

        var env = TestData.Environment(ScratchFolders.New("best-checkpoint"));
        using var cancel = new CancellationTokenSource();
        // The worker dies in the epoch after the best one: only the checkpoint still holds the best weights.
        Assert.ThrowsAny<OperationCanceledException>(() => TrialRunner.Run(spec, env, e =>
        {
            if (e.Epoch == best + 1) cancel.Cancel();
            return true;
        }, cancel.Token));
        var resumed = TrialRunner.Run(spec, env);
        Assert.Equal(best, resumed.SelectedEpoch);
        Assert.Equal(uninterrupted.TestLoss, resumed.TestLoss);
        Assert.Equal(uninterrupted.TestAccuracy, resumed.TestAccuracy);
    }

    [Fact]
    public void Patience_stops_a_trial_that_stopped_improving_and_says_so()
    {
        var spec = Overfitting(8) with { Patience = 2 };
        var r = TrialRunner.Run(spec, TestData.Environment(shared.Folder));
        int best = r.SelectedEpoch!.Value;
        Assert.Equal(TrialStatus.Completed, r.Status);
        Assert.Equal(best + 2, r.Epochs.Count);
        Assert.True(r.Epochs.Count < spec.Epochs);
        Assert.Contains("stopped by patience after epoch", r.Message);
        Assert.NotNull(r.TestAccuracy);
    }

    [Fact]
    public void A_min_delta_larger_than_any_gain_stops_after_patience_epochs()
    {
        var r = TrialRunner.Run(Overfitting(6) with { Patience = 1, MinDelta = 100 }, TestData.Environment(shared.Folder));
        // Epoch 1 is the first value, so the best; nothing can beat it by 100: the trial ends after epoch 2.
        Assert.Equal(2, r.Epochs.Count);
        Assert.Equal(1, r.SelectedEpoch);
    }
}
