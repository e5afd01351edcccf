using Runner.Sweeps;
using Runner.Training.Engine;

namespace Runner.Training.Tests;

[Collection("torch")]
public class CheckpointTests(SharedArtifacts shared)
{
    [Fact]
    public void An_interrupted_trial_continues_from_its_last_epoch_and_ends_exactly_as_an_uninterrupted_one()
    {
        var spec = TestData.SmallTrial(freezeDepth: 1, seed: 9, epochs: 3);
        var uninterrupted = TrialRunner.Run(spec, TestData.Environment(shared.Folder));

        string artifacts = ScratchFolders.New("checkpoint");
        // The pretrained base is shared content; copy it so this run does not pretrain again.
        Directory.CreateDirectory(Path.Combine(artifacts, "bases"));
        foreach (string f in Directory.GetFiles(Path.Combine(shared.Folder, "bases")).Where(f => !f.EndsWith(".lock")))
            File.Copy(f, Path.Combine(artifacts, "bases", Path.GetFileName(f)));
        var log = new List<string>();
        var env = TestData.Environment(artifacts, log);

        // The worker dies during epoch 3: cancelled after epoch 2 was reported (and checkpointed).
        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => TrialRunner.Run(spec, env, e =>
        {
            if (e.Epoch == 2) cancel.Cancel();
            return true;
        }, cancel.Token));
        Assert.Single(Directory.GetFiles(Path.Combine(artifacts, "checkpoints"), "*.epochs.json"));

        var epochsSeen = new List<int>();
        var resumed = TrialRunner.Run(spec, env, e => { epochsSeen.Add(e.Epoch); return true; });
        Assert.Contains(log, m => m.Contains("continues after epoch 2 from its checkpoint"));
        Assert.Equal(new[] { 3 }, epochsSeen);
        Assert.Equal(3, resumed.Epochs.Count);
        Assert.Equal(uninterrupted.Epochs.Select(e => (e.TrainLoss, e.ValAccuracy)), resumed.Epochs.Select(e => (e.TrainLoss, e.ValAccuracy)));
        Assert.Equal(uninterrupted.TestAccuracy, resumed.TestAccuracy);
        // A finished trial leaves no checkpoint behind.
        Assert.Empty(Directory.GetFiles(Path.Combine(artifacts, "checkpoints")));
    }

    [Fact]
    public void A_damaged_checkpoint_is_ignored_and_the_trial_starts_over()
    {
        string artifacts = ScratchFolders.New("checkpoint-damaged");
        var log = new List<string>();
        var env = TestData.Environment(artifacts, log);
        var spec = TestData.SmallTrial(init: "scratch", seed: 4, epochs: 2);
        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => TrialRunner.Run(spec, env, e => { cancel.Cancel(); return true; }, cancel.Token));
        string model = Directory.GetFiles(Path.Combine(artifacts, "checkpoints"), "*.model.dat").Single();
        File.WriteAllBytes(model, new byte[] { 1, 2, 3 });

        var epochs = new List<int>();
        var r = TrialRunner.Run(spec, env, e => { epochs.Add(e.Epoch); return true; });
        Assert.Contains(log, m => m.Contains("is damaged: starting from epoch 1"));
        Assert.Equal(new[] { 1, 2 }, epochs);
        Assert.Equal(TrialStatus.Completed, r.Status);
    }

    /// <summary>How many epochs the coordinator's copy of a trial's checkpoint holds (0 without one).</summary>
    static int EpochsInCopy(Runner.Artifacts.IContentStore store, string trialId)
    {
        if (store.GetRef("checkpoint." + trialId) is not { } sha || !store.Has(sha)) return 0;
        string folder = ScratchFolders.New("copy");
        try
        {
            Runner.Artifacts.FolderArchive.Extract(((Runner.Artifacts.ContentStore)store).PathOf(sha), folder);
            return System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, trialId + ".epochs.json"))).RootElement.GetArrayLength();
        }
        catch (Exception e) when (e is IOException or InvalidDataException) { return 0; }   // dropped for a newer one meanwhile
    }

    [Fact]
    public void A_trial_moved_to_another_host_continues_from_the_checkpoint_copied_to_the_coordinator_and_ends_the_same()
    {
        var spec = TestData.SmallTrial(init: "scratch", seed: 12, epochs: 3);
        var uninterrupted = TrialRunner.Run(spec, TestData.Environment(ScratchFolders.New("calm")));

        using var coordinator = new Runner.Artifacts.Tests.ArtifactServer(new Runner.Artifacts.ContentStore(ScratchFolders.New("coordinator-store")));
        // Two hosts that share nothing but the coordinator: each its own artifacts folder and cache.
        TrialEnvironment Host(string name, List<string> log)
        {
            string artifacts = ScratchFolders.New(name);
            return TestData.Environment(artifacts, log) with
            {
                Shared = new Runner.Artifacts.ArtifactSource(null, new Runner.Artifacts.ArtifactClient(coordinator.Url),
                    new Runner.Artifacts.ArtifactCache(Path.Combine(artifacts, "cache"))),
            };
        }
        var (logA, logB) = (new List<string>(), new List<string>());
        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => TrialRunner.Run(spec, Host("host-a", logA), e =>
        {
            if (e.Epoch == 2) cancel.Cancel();   // host A dies during epoch 3
            return true;
        }, cancel.Token));
        // Copies are uploaded in the background, each epoch's replacing the last: wait for epoch 2's to land.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (EpochsInCopy(coordinator.Store, spec.Id) < 2 && DateTime.UtcNow < deadline) Thread.Sleep(50);

        var epochsSeen = new List<int>();
        var resumed = TrialRunner.Run(spec, Host("host-b", logB), e => { epochsSeen.Add(e.Epoch); return true; });
        Assert.True(logB.Any(m => m.Contains("fetched its checkpoint from the coordinator")), string.Join("\n", logB));
        Assert.Equal(new[] { 3 }, epochsSeen);
        Assert.Equal(uninterrupted.Epochs.Select(e => (e.TrainLoss, e.ValAccuracy)), resumed.Epochs.Select(e => (e.TrainLoss, e.ValAccuracy)));
        Assert.Equal(uninterrupted.TestAccuracy, resumed.TestAccuracy);
        // The finished trial's copy is deleted from the coordinator (in the background, after the result).
        deadline = DateTime.UtcNow.AddSeconds(20);
        while (coordinator.Store.GetRef("checkpoint." + spec.Id) != null && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.Null(coordinator.Store.GetRef("checkpoint." + spec.Id));
    }
}
