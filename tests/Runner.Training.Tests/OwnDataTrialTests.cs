using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Training.Engine;
using Runner.Training.Models;
using static TorchSharp.torch;

namespace Runner.Training.Tests;

/// <summary>
/// Whole trials on a user's image folder from a user's checkpoint (a ResNet-18 weight file), one per strategy, and the
/// checks that stop a trial from silently using files that changed after the sweep was submitted.
/// </summary>
[Collection("torch")]
public class OwnDataTrialTests
{
    static readonly Lazy<(string Folder, string Weights, string Dataset)> Files = new(() =>
    {
        string folder = ImageFolderTests.MakeFolder("own-data", perClass: 8, testPerClass: 3);
        string weights = Path.Combine(ScratchFolders.New("own-weights"), "resnet18.dat");
        manual_seed(0);
        var net = ModelZoo.Create("resnet18", 2);
        net.Network.save(weights);
        net.Network.Dispose();
        return (folder, weights, ImageFolderLayout.Scan(folder).Facts.Name);
    });

    static TrialSpec Spec(string strategy, int depth, int epochs = 1) => new(
        "resnet18", null, Files.Value.Dataset, new[] { 0, 1 }, 2, Initialization.Pretrained, depth, 1e-3, 6, epochs, 4, "adam", 0, 0.9, 1,
        Strategy: strategy, ImageSize: 32, WeightsSha256: DerivedFiles.Sha256Of(Files.Value.Weights), WeightsPath: Files.Value.Weights,
        DataPath: Files.Value.Folder);

    [Theory]
    [InlineData(Strategies.FeatureExtraction, 5, 1, 512 * 2 + 2)]
    [InlineData(Strategies.FineTune, 3, 1, -1)]
    [InlineData(Strategies.GradualUnfreeze, 0, 2, -2)]
    public void A_resnet18_checkpoint_fine_tunes_on_an_image_folder_with_each_strategy(string strategy, int depth, int epochs, long trainable)
    {
        var result = TrialRunner.Run(Spec(strategy, depth, epochs), TestData.Environment(ScratchFolders.New("own-artifacts")));
        Assert.Equal(TrialStatus.Completed, result.Status);
        Assert.Equal(epochs, result.Epochs.Count);
        Assert.InRange(result.TestAccuracy!.Value, 0, 1);
        using var reference = (TorchVisionModel)ModelZoo.Create("resnet18", 2);
        long layer4 = reference.Stages[4].Module.parameters().Sum(p => p.numel());
        long expected = trainable switch { -1 => result.TotalParameters, -2 => 512 * 2 + 2 + layer4, _ => trainable };
        Assert.Equal(expected, result.TrainableParameters);
    }

    [Fact]
    public void A_weight_file_or_folder_that_changed_after_submission_fails_the_trial_with_a_message()
    {
        var spec = Spec(Strategies.FeatureExtraction, 5);
        var env = TestData.Environment(ScratchFolders.New("changed-artifacts"));
        var wrongHash = Assert.Throws<WeightFileException>(() => TrialRunner.Run(spec with { WeightsSha256 = new string('0', 64) }, env));
        Assert.Contains("changed since the sweep was submitted", wrongHash.Message);
        var otherFolder = Assert.Throws<DataException>(() => TrialRunner.Run(spec with { TargetDataset = "image-folder:0000000000000000" }, env));
        Assert.Contains("changed since the sweep was submitted", otherFolder.Message);
    }
}

/// <summary>Labels are 32-bit: a folder of a thousand classes trains with a thousand-way head.</summary>
[Collection("torch")]
public class ManyClassesTests
{
    [Fact]
    public void A_folder_of_a_thousand_classes_trains_and_is_measured_on_every_class()
    {
        const int classes = 1000;
        string root = ScratchFolders.New("thousand-classes");
        for (int k = 0; k < classes; k++)
            foreach (var (split, count) in new[] { ("train", 3), ("test", 1) })
                for (int i = 0; i < count; i++)
                    Stripes(Path.Combine(root, split, $"c{k:D4}", $"{i}.png"), k);
        var layout = ImageFolderLayout.Scan(root);
        Assert.Equal(classes, layout.ClassNames.Count);
        var spec = new TrialSpec("convnet4", null, layout.Facts.Name, Enumerable.Range(0, classes).ToArray(), 1, Initialization.Scratch, 0, 1e-3, 2, 1, 64,
            "adam", 0, 0.9, 1, ImageSize: 28, DataPath: root);

        var result = TrialRunner.Run(spec, TestData.Environment(ScratchFolders.New("thousand-artifacts")));

        Assert.Equal(TrialStatus.Completed, result.Status);
        var net = ModelZoo.Create("convnet4", classes);
        Assert.Equal(net.Network.parameters().Sum(p => p.numel()), result.TotalParameters);
        net.Network.Dispose();
        Assert.InRange(result.TestAccuracy!.Value, 0, 1);
        Assert.NotNull(result.TestTop5Accuracy);
        // A thousand-by-thousand confusion matrix per trial would be megabytes in every record: kept up to 100 classes.
        Assert.Null(result.TestConfusion);
    }

    /// <summary>A 28-px grayscale image whose ten horizontal stripes spell the class number in binary.</summary>
    static void Stripes(string path, int k)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var pixels = new byte[28 * 28];
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                pixels[y * 28 + x] = (byte)(((k >> Math.Min(y / 3, 9)) & 1) * 255);
        using var stream = File.Create(path);
        new StbImageWriteSharp.ImageWriter().WritePng(pixels, 28, 28, StbImageWriteSharp.ColorComponents.Grey, stream);
    }
}
