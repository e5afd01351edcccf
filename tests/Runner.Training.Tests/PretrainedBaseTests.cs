using Runner.Training.Data;
using Runner.Training.Engine;

namespace Runner.Training.Tests;

[Collection("torch")]
public class PretrainedBaseTests
{
    [Fact]
    public void A_base_is_pretrained_once_and_reused_by_every_trial_that_needs_it()
    {
        string artifacts = ScratchFolders.New("bases");
        var log = new List<string>();
        var env = TestData.Environment(artifacts, log);
        TrialRunner.Run(TestData.SmallTrial(freezeDepth: 4, seed: 1), env);
        TrialRunner.Run(TestData.SmallTrial(freezeDepth: 2, seed: 2), env);
        TrialRunner.Run(TestData.SmallTrial(init: "scratch"), env);
        Assert.Single(log, m => m.StartsWith("pretraining convnet4", StringComparison.Ordinal));
        var checkpoints = Directory.GetFiles(Path.Combine(artifacts, "bases"), "*.dat");
        Assert.Single(checkpoints);
        Assert.True(DerivedFiles.IsIntact(checkpoints[0]));
    }

    [Fact]
    public void A_different_pretraining_setting_makes_a_different_base()
    {
        var data = FashionMnist.Load(TestData.Subset);
        string a = PretrainedBases.Key("convnet4", TestData.Pretrain, data.Fingerprint);
        Assert.NotEqual(a, PretrainedBases.Key("convnet4", TestData.Pretrain with { Epochs = 2 }, data.Fingerprint));
        Assert.NotEqual(a, PretrainedBases.Key("convnet4", TestData.Pretrain with { Seed = 1 }, data.Fingerprint));
        Assert.NotEqual(a, PretrainedBases.Key("convnet4", TestData.Pretrain, "other-data"));
        Assert.Equal(a, PretrainedBases.Key("convnet4", TestData.Pretrain with { }, data.Fingerprint));
    }

    [Fact]
    public void A_damaged_checkpoint_is_detected_and_rebuilt_with_the_same_result()
    {
        string artifacts = ScratchFolders.New("damaged");
        var log = new List<string>();
        var env = TestData.Environment(artifacts, log);
        var spec = TestData.SmallTrial(freezeDepth: 3, seed: 4);
        var first = TrialRunner.Run(spec, env);
        string checkpoint = Directory.GetFiles(Path.Combine(artifacts, "bases"), "*.dat").Single();

        // Flip bytes in the middle of the weights, as a bad disk or an interrupted copy would.
        var bytes = File.ReadAllBytes(checkpoint);
        for (int i = bytes.Length / 2; i < bytes.Length / 2 + 64; i++) bytes[i] ^= 0xff;
        File.WriteAllBytes(checkpoint, bytes);

        var second = TrialRunner.Run(spec, env);
        Assert.Contains(log, m => m.Contains("is damaged (checksum mismatch): rebuilding it"));
        Assert.Equal(2, log.Count(m => m.StartsWith("pretraining", StringComparison.Ordinal)));
        Assert.True(DerivedFiles.IsIntact(checkpoint));
        Assert.Equal(first.TestAccuracy, second.TestAccuracy);
    }
}
