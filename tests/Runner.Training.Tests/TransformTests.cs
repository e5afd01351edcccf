using System.Globalization;
using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Training.Engine;
using static TorchSharp.torch;

namespace Runner.Training.Tests;

/// <summary>
/// target.dataset.transforms: the crops against torchvision's own functions (Debian's python3-torchvision), the
/// RandomResizedCrop boxes within their ranges, and a trial that trains through them the same way every time.
/// </summary>
[Collection("torch")]
public class TransformTests
{
    [Fact]
    public void Center_crops_and_resized_crops_equal_torchvisions()
    {
        const int channels = 3, height = 12, width = 11, side = 6;
        var boxes = new[] { (1, 2, 7, 5), (0, 0, 12, 11), (3, 4, 6, 6), (2, 1, 4, 9) };
        var expected = PythonScripts.Run(TestData.RepoRoot, new[] { Path.Combine(TestData.RepoRoot, "scripts", "transform_reference.py"),
                $"{channels}", $"{height}", $"{width}", $"{side}" }.Concat(boxes.Select(b => $"{b.Item1},{b.Item2},{b.Item3},{b.Item4}")).ToArray())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToArray();

        using var c = arange(channels).view(-1, 1, 1);
        using var y = arange(height).view(1, -1, 1);
        using var x = arange(width).view(1, 1, -1);
        using var image = (31 * c + 7 * y + 13 * x).remainder(256).to_type(ScalarType.Float32).div(255);
        var outputs = new List<Tensor> { RowSet.CenterCrop(image.unsqueeze(0), side).squeeze(0) };
        outputs.AddRange(boxes.Select(b => TrainTransform.CropResize(image, b.Item1, b.Item2, b.Item3, b.Item4, side)));
        var actual = outputs.SelectMany(o => o.contiguous().data<float>().ToArray()).ToArray();

        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"value {i}: torchvision {expected[i]}, Runner {actual[i]}");
    }

    [Fact]
    public void Random_resized_boxes_stay_in_the_image_within_the_scale_and_ratio_ranges_and_fall_back_to_the_center()
    {
        var spec = new TransformSpec(64, ScaleMin: 0.2, ScaleMax: 0.6, RatioMin: 0.5, RatioMax: 2);
        var rng = new Random(3);
        var areas = new List<double>();
        for (int k = 0; k < 2000; k++)
        {
            var draws = Enumerable.Range(0, TrainTransform.Draws).Select(_ => rng.NextDouble()).ToArray();
            var (top, left, h, w) = TrainTransform.Box(spec, draws, 64, 48);
            Assert.True(top >= 0 && left >= 0 && top + h <= 64 && left + w <= 48, $"box {top},{left},{h},{w} leaves the image");
            areas.Add((double)h * w / (64 * 48));
            Assert.InRange((double)w / h, 0.45, 2.2);   // the ratio range, give or take the rounding of small sides
        }
        Assert.InRange(areas.Min(), 0.18, 0.25);
        Assert.InRange(areas.Max(), 0.55, 0.63);

        // No box of 90-100% of the area fits at aspect 4..5 in a square: torchvision's fallback, the widest central box of ratio 4.
        var impossible = new TransformSpec(64, ScaleMin: 0.9, ScaleMax: 1, RatioMin: 4, RatioMax: 5);
        Assert.Equal((24, 0, 16, 64), TrainTransform.Box(impossible, new double[TrainTransform.Draws], 64, 64));
    }

    [Fact]
    public void A_trial_trains_through_random_resized_crops_flips_and_jitter_the_same_way_each_time()
    {
        string root = ImageFolderTests.MakeFolder("transformed", perClass: 10, testPerClass: 3);
        var layout = ImageFolderLayout.Scan(root);
        var transforms = new TransformSpec(TransformSpec.DefaultResize(28), ColorJitter: 0.3);
        var spec = new TrialSpec("convnet4", null, layout.Facts.Name, new[] { 0, 1 }, 2, Initialization.Scratch, 0, 1e-3, 8, 2, 4, "adam", 0, 0.9, 5,
            ImageSize: 28, DataPath: root, Transforms: transforms);
        var env = TestData.Environment(ScratchFolders.New("transformed-artifacts"));

        var first = TrialRunner.Run(spec, env);
        var again = TrialRunner.Run(spec, env);
        Assert.Equal(TrialStatus.Completed, first.Status);
        Assert.Equal(first.Epochs.Select(e => e.TrainLoss), again.Epochs.Select(e => e.TrainLoss));
        var plain = TrialRunner.Run(spec with { Transforms = null }, env);
        Assert.NotEqual(first.Epochs[0].TrainLoss, plain.Epochs[0].TrainLoss);
        Assert.NotEqual(spec.Id, (spec with { Transforms = transforms with { ColorJitter = 0.2 } }).Id);
    }
}
