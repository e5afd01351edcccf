using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Training.Engine;

namespace Runner.Training.Tests;

/// <summary>
/// Data as people bring it: classes of different sizes, a CSV list of labelled files in sub-folders, and files that
/// are not images. Each trains for real (convnet4, one epoch, a few dozen 28-px images).
/// </summary>
[Collection("torch")]
public class RealDataShapesTests
{
    static readonly byte[] Red = { 220, 30, 30 }, Blue = { 20, 20, 220 };

    static TrialSpec Scratch(string dataPath, ImageFolderLayout layout, int datasetSize, int validation = 2) => new(
        "convnet4", null, layout.Facts.Name, new[] { 0, 1 }, validation, Initialization.Scratch, 0, 1e-3, datasetSize, 1, 8, "adam", 0, 0.9, 1,
        ImageSize: 28, DataPath: dataPath);

    [Fact]
    public void Uneven_classes_train_on_up_to_dataset_size_each_and_the_trial_records_how_many_each_used()
    {
        string root = ScratchFolders.New("uneven");
        foreach (var (name, colour, train) in new[] { ("big", Red, 30), ("small", Blue, 9) })
            for (int i = 0; i < train + 2; i++)
                ImageFolderTests.WriteImage(Path.Combine(root, i < train ? "train" : "test", name, $"{i}.png"), 28, 28, 3, colour);
        var layout = ImageFolderLayout.Scan(root);
        var env = TestData.Environment(ScratchFolders.New("uneven-artifacts"));

        // 2 validation images per class come first: 28 and 7 are left to train on.
        var twenty = TrialRunner.Run(Scratch(root, layout, 20), env);
        Assert.Equal(new[] { 20, 7 }, twenty.TrainPerClass);
        Assert.True(twenty.ClassesShortOf(20));
        var all = TrialRunner.Run(Scratch(root, layout, SweepParameters.AllImages), env);
        Assert.Equal(new[] { 28, 7 }, all.TrainPerClass);
        Assert.False(all.ClassesShortOf(SweepParameters.AllImages));
        var five = TrialRunner.Run(Scratch(root, layout, 5), env);
        Assert.Equal(new[] { 5, 5 }, five.TrainPerClass);
        Assert.Equal(TrialStatus.Completed, all.Status);
        Assert.InRange(all.TestAccuracy!.Value, 0.5, 1);   // two flat colours: one epoch separates them

        // A class with nothing left after validation is refused with its numbers.
        var starved = Assert.Throws<DataException>(() => TrialRunner.Run(Scratch(root, layout, 5, validation: 9), env));
        Assert.Contains("class 1 has 9 training images: not enough for 9 validation images and at least one to train on", starved.Message);
    }

    [Fact]
    public void A_csv_list_with_relative_paths_in_sub_folders_trains_and_its_splits_are_those_the_list_names()
    {
        string root = ScratchFolders.New("listed");
        var lines = new List<string> { "path,label,split" };
        for (int i = 0; i < 14; i++)
        {
            string split = i < 10 ? "train" : i < 12 ? "val" : "test";
            ImageFolderTests.WriteImage(Path.Combine(root, "photos", "2024", $"r{i}.png"), 30, 28, 3, Red);
            ImageFolderTests.WriteImage(Path.Combine(root, "photos", "b", $"b{i}.jpg"), 28, 28, 3, Blue, jpeg: true);
            lines.Add($"photos/2024/r{i}.png,red,{split}");
            lines.Add($"\"photos/b/b{i}.jpg\",blue,{split}");
        }
        string list = Path.Combine(root, "labels.csv");
        File.WriteAllLines(list, lines);

        var layout = ImageFolderLayout.Open(list);
        Assert.Equal(new[] { "blue", "red" }, layout.ClassNames);
        Assert.Equal((10, 2, 2), (layout.TrainFiles[1].Count, layout.ValidationFiles![1].Count, layout.TestFiles[1].Count));
        Assert.Equal(list, layout.Source);
        Assert.Contains(list, layout.UploadFiles);

        var result = TrialRunner.Run(Scratch(list, layout, 10, validation: 0), TestData.Environment(ScratchFolders.New("listed-artifacts")));
        Assert.Equal(TrialStatus.Completed, result.Status);
        Assert.Equal(new[] { 10, 10 }, result.TrainPerClass);
        Assert.InRange(result.TestAccuracy!.Value, 0.5, 1);

        // Relabelling a file changes the data's identity, though no file changed.
        File.WriteAllLines(list, lines.Select(l => l == "photos/2024/r0.png,red,train" ? "photos/2024/r0.png,blue,train" : l));
        Assert.NotEqual(layout.Fingerprint, ImageFolderLayout.Open(list).Fingerprint);
    }

    [Fact]
    public void A_list_s_mistakes_are_one_line_naming_the_list_and_row()
    {
        string root = ScratchFolders.New("list-mistakes");
        ImageFolderTests.WriteImage(Path.Combine(root, "a.png"), 8, 8, 3, Red);
        ImageFolderTests.WriteImage(Path.Combine(root, "b.png"), 8, 8, 3, Blue);
        string list = Path.Combine(root, "labels.csv");
        string Problem(params string[] lines)
        {
            File.WriteAllLines(list, lines);
            return Assert.Throws<ImageFolderException>(() => ImageList.Read(list)).Message;
        }
        Assert.Equal($"{list}:1: the header must name the columns path and label (and optionally split), got 'file,class'", Problem("file,class", "a.png,x"));
        Assert.Equal($"{list}:3: c.png: no such file", Problem("path,label", "a.png,x", "c.png,y"));
        Assert.Equal($"{list}:2: ../a.png is outside the list's folder {root} (images must sit in it or below)", Problem("path,label", "../a.png,x"));
        Assert.Equal($"{list}:3: split 'dev' is not one of train, val, test", Problem("path,label,split", "a.png,x,train", "b.png,y,dev"));
        Assert.Equal($"{list}:3: a.png is listed twice", Problem("path,label", "a.png,x", "a.png,y"));
        ImageFolderTests.WriteImage(Path.Combine(root, "c.png"), 8, 8, 3, Red);
        Assert.Equal($"{list}: split test has no image of class 'y'; every split needs every class",
            Problem("path,label,split", "a.png,x,train", "b.png,y,train", "c.png,x,test"));

        string jsonl = Path.Combine(root, "labels.jsonl");
        File.WriteAllLines(jsonl, new[] { """{"path": "a.png", "label": 3}""", """{"path": "b.png"}""" });
        Assert.Equal($"{jsonl}:2: no \"label\" (each line needs \"path\" and \"label\")", Assert.Throws<ImageFolderException>(() => ImageList.Read(jsonl)).Message);
    }

    [Fact]
    public void Unreadable_files_refuse_the_data_by_default_and_on_bad_image_skip_leaves_them_out_and_names_them()
    {
        string root = ImageFolderTests.MakeFolder("bad-files", perClass: 8, testPerClass: 2);
        // A PNG signature then garbage: it passes the validator's first-bytes check and fails only when decoded.
        string damaged = Path.Combine(root, "train", "shoes", "3.png");
        File.WriteAllBytes(damaged, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4]);
        var layout = ImageFolderLayout.Scan(root);
        var env = TestData.Environment(ScratchFolders.New("bad-artifacts"));
        var spec = Scratch(root, layout, 6);

        var refused = Assert.Throws<DataException>(() => TrialRunner.Run(spec, env));
        Assert.StartsWith($"{damaged}: not a readable PNG or JPEG image", refused.Message);

        var skipping = spec with { SkipBadImages = true };
        Assert.NotEqual(spec.Id, skipping.Id);
        var result = TrialRunner.Run(skipping, env);
        Assert.Equal(TrialStatus.Completed, result.Status);
        Assert.Equal(new[] { Path.Combine("train", "shoes", "3.png") }, result.SkippedImages);
        // Shoes had 8 training images, one skipped, 2 validating: 5 train although 6 were asked for.
        Assert.Equal(new[] { 6, 5 }, result.TrainPerClass);
    }
}
