using Runner.Sweeps;
using Runner.Training.Data;
using StbImageWriteSharp;

namespace Runner.Training.Tests;

/// <summary>Image folders as a user has them: PNG and JPEG files of mixed sizes and colour types, and the mistakes people make.</summary>
public class ImageFolderTests
{
    /// <summary>Writes an image file of one flat colour (channels: 1 grey, 3 RGB, 4 RGBA).</summary>
    internal static void WriteImage(string path, int width, int height, int channels, byte[] colour, bool jpeg = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var pixels = new byte[width * height * channels];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = colour[i % channels];
        using var stream = File.Create(path);
        var type = channels switch { 1 => ColorComponents.Grey, 3 => ColorComponents.RedGreenBlue, _ => ColorComponents.RedGreenBlueAlpha };
        if (jpeg) new ImageWriter().WriteJpg(pixels, width, height, type, stream, 95);
        else new ImageWriter().WritePng(pixels, width, height, type, stream);
    }

    /// <summary>A folder with train/ and test/, two classes, images per class in each.</summary>
    internal static string MakeFolder(string name, int perClass = 6, int testPerClass = 2)
    {
        string root = ScratchFolders.New(name);
        foreach (var (split, count) in new[] { ("train", perClass), ("test", testPerClass) })
            for (int i = 0; i < count; i++)
            {
                WriteImage(Path.Combine(root, split, "bags", $"{i}.png"), 40, 30, 3, new byte[] { 200, 30, 30 });
                WriteImage(Path.Combine(root, split, "shoes", $"{i}.png"), 30, 30, 3, new byte[] { 20, 20, 220 });
            }
        return root;
    }

    [Fact]
    public void Grey_rgba_jpeg_and_odd_sizes_all_become_rgb_squares_of_the_asked_size_with_labels_by_sorted_class_name()
    {
        string root = ScratchFolders.New("mixed");
        WriteImage(Path.Combine(root, "zebra", "grey.png"), 20, 50, 1, new byte[] { 128 });
        WriteImage(Path.Combine(root, "zebra", "rgba.png"), 64, 64, 4, new byte[] { 10, 200, 30, 100 });
        WriteImage(Path.Combine(root, "zebra", "photo.jpg"), 33, 17, 3, new byte[] { 250, 250, 0 }, jpeg: true);
        for (int i = 0; i < 3; i++) WriteImage(Path.Combine(root, "apple", $"{i}.png"), 16, 16, 3, new byte[] { 0, 0, 255 });
        File.WriteAllText(Path.Combine(root, "apple", "notes.txt"), "not an image: ignored, as torchvision does");

        var layout = ImageFolderLayout.Scan(root);
        Assert.Equal(new[] { "apple", "zebra" }, layout.ClassNames);
        var data = ImageFolderData.Load(layout, 24, 3, store: null);
        var all = new[] { data.Train, data.Test };
        Assert.All(all, s => Assert.Equal((3, 24, 24), (s.Channels, s.Rows, s.Columns)));
        Assert.Equal(6, data.Train.Count + data.Test.Count);
        Assert.Equal(Normalization.ImageNet, data.Train.Norm);

        byte[] Pixel(string file) => ImageFolderData.DecodeOne(Path.Combine(root, "zebra", file), 24, 3);
        var grey = Pixel("grey.png");
        Assert.Equal(new byte[] { 128, 128, 128 }, new[] { grey[0], grey[24 * 24], grey[2 * 24 * 24] });
        var rgba = Pixel("rgba.png");
        Assert.Equal(new byte[] { 10, 200, 30 }, new[] { rgba[100], rgba[24 * 24 + 100], rgba[2 * 24 * 24 + 100] });
        var jpg = Pixel("photo.jpg");
        Assert.InRange(jpg[300], 240, 255);
        Assert.InRange(jpg[2 * 24 * 24 + 300], 0, 20);
    }

    [Fact]
    public void Resizing_keeps_flat_colours_and_the_center_crop_keeps_the_middle_of_a_wide_image()
    {
        // 60x20: black sides, white middle (x 15..44). Shorter side 20 → 10: 30x10, then the middle 10 columns, whose
        // filter taps (x 19..41) all fall on white.
        var pixels = new byte[60 * 20];
        for (int y = 0; y < 20; y++)
            for (int x = 15; x < 45; x++) pixels[y * 60 + x] = 255;
        var square = ImageResampler.ResizeAndCrop(pixels, 60, 20, 1, 10);
        Assert.Equal(100, square.Length);
        Assert.All(square, p => Assert.Equal(255, p));
        var flat = ImageResampler.ResizeAndCrop(Enumerable.Repeat((byte)77, 7 * 13 * 3).ToArray(), 7, 13, 3, 32);
        Assert.All(flat, p => Assert.Equal(77, p));
    }

    [Fact]
    public void Without_train_and_test_folders_a_fixed_fifth_of_each_class_is_the_test_split()
    {
        string root = ScratchFolders.New("flat");
        for (int i = 0; i < 10; i++)
        {
            WriteImage(Path.Combine(root, "a", $"{i}.png"), 8, 8, 3, new byte[] { 1, 2, 3 });
            WriteImage(Path.Combine(root, "b", $"{i}.png"), 8, 8, 3, new byte[] { 4, 5, 6 });
        }
        var first = ImageFolderLayout.Scan(root);
        Assert.All(first.TestFiles, f => Assert.Equal(2, f.Count));
        Assert.All(first.TrainFiles, f => Assert.Equal(8, f.Count));
        Assert.Empty(first.TrainFiles[0].Intersect(first.TestFiles[0]));
        // Adding an image never moves the others between splits, and changes the fingerprint.
        WriteImage(Path.Combine(root, "a", "extra.png"), 8, 8, 3, new byte[] { 1, 2, 3 });
        var second = ImageFolderLayout.Scan(root);
        Assert.Subset(second.TestFiles[0].Concat(second.TrainFiles[0]).ToHashSet(), first.TrainFiles[0].Concat(first.TestFiles[0]).ToHashSet());
        Assert.Empty(first.TestFiles[0].Intersect(second.TrainFiles[0]));
        Assert.NotEqual(first.Fingerprint, second.Fingerprint);
    }

    [Fact]
    public void Folder_mistakes_are_one_message_naming_the_place()
    {
        string root = MakeFolder("mistakes");
        Directory.CreateDirectory(Path.Combine(root, "train", "hats"));
        Directory.CreateDirectory(Path.Combine(root, "test", "hats"));
        var empty = Assert.Throws<ImageFolderException>(() => ImageFolderLayout.Scan(root));
        Assert.Equal($"{Path.Combine(root, "train", "hats")}: no PNG or JPEG files (an empty class)", empty.Message);

        Directory.Delete(Path.Combine(root, "train"), recursive: true);
        var noTrain = Assert.Throws<ImageFolderException>(() => ImageFolderLayout.Scan(root));
        Assert.Equal($"{root}: has test/ but no train/", noTrain.Message);

        string single = ScratchFolders.New("one-class");
        WriteImage(Path.Combine(single, "only", "0.png"), 8, 8, 3, new byte[] { 1, 2, 3 });
        Assert.Contains("found 1 class folder(s)", Assert.Throws<ImageFolderException>(() => ImageFolderLayout.Scan(single)).Message);

        string broken = MakeFolder("broken");
        string bad = Path.Combine(broken, "train", "shoes", "3.png");
        File.WriteAllText(bad, "this is not a PNG");
        var unreadable = Assert.Throws<DataException>(() => ImageFolderData.Load(ImageFolderLayout.Scan(broken), 16, 3, store: null));
        Assert.StartsWith($"{bad}: not a readable PNG or JPEG image", unreadable.Message);
        // The sweep validator finds it first, by its first bytes, before any trial starts.
        var refused = Assert.Throws<SweepFileException>(() => SweepFile.Parse($$"""
            name: broken
            base: { model: resnet18 }
            target: { dataset: { type: image-folder, path: {{broken}}, image_size: 32 } }
            sweep: { parameters: { initialization: [scratch] } }
            """, "broken.yaml"));
        Assert.Contains($"{bad}: not a PNG or JPEG image", refused.Message);
        // Decoding into the artifact store stops at the bad file and leaves no half-written pixel file behind.
        string artifacts = ScratchFolders.New("broken-artifacts");
        Assert.Throws<DataException>(() => ImageFolderData.Load(ImageFolderLayout.Scan(broken), 16, 3, new Runner.Training.Engine.DerivedFiles(artifacts)));
        Assert.Empty(Directory.GetFiles(Path.Combine(artifacts, "datasets")));
    }

    [Fact]
    public void Val_is_the_validation_split_and_without_test_a_fifth_of_train_is_the_test_split()
    {
        // train/ + val/ + test/: the ImageNet convention's three splits.
        string root = MakeFolder("three-splits", perClass: 10, testPerClass: 3);
        for (int i = 0; i < 4; i++)
            foreach (var (name, colour) in new[] { ("bags", new byte[] { 200, 30, 30 }), ("shoes", new byte[] { 20, 20, 220 }) })
                WriteImage(Path.Combine(root, "val", name, $"v{i}.png"), 30, 30, 3, colour);
        var three = ImageFolderLayout.Scan(root);
        Assert.Equal(new[] { 10, 10 }, three.TrainFiles.Select(f => f.Count));
        Assert.Equal(new[] { 4, 4 }, three.ValidationFiles!.Select(f => f.Count));
        Assert.Equal(new[] { 3, 3 }, three.TestFiles.Select(f => f.Count));
        var data = ImageFolderData.Load(three, 12, 3, store: null);
        Assert.Equal(8, data.Validation!.Count);
        // A trial validates on every val/ image of its classes and trains from all of train/ (nothing is carved).
        var split = TaskSplits.Target(data, new[] { 0, 1 }, 0, 10, 1);
        Assert.Equal(Enumerable.Range(0, 8), split.Validation.Order());
        Assert.Equal(20, split.Train.Length);

        // train/ + val/: val validates; the test split is a fixed fifth of each training class.
        Directory.Delete(Path.Combine(root, "test"), recursive: true);
        var two = ImageFolderLayout.Scan(root);
        Assert.Equal(new[] { 4, 4 }, two.ValidationFiles!.Select(f => f.Count));
        Assert.Equal(new[] { 2, 2 }, two.TestFiles.Select(f => f.Count));
        Assert.Equal(new[] { 8, 8 }, two.TrainFiles.Select(f => f.Count));
        Assert.NotEqual(three.Fingerprint, two.Fingerprint);

        // The sweep file: val/ is the validation split, so validation_per_class has nothing to carve.
        var refused = Assert.Throws<SweepFileException>(() => SweepFile.Parse($$"""
            name: with-val
            base: { model: resnet18 }
            target: { dataset: { type: image-folder, path: {{root}}, image_size: 32 }, validation_per_class: 2 }
            sweep: { parameters: { initialization: [scratch] } }
            """, "with-val.yaml"));
        Assert.Contains("has its own validation split (val/), whose images validate", refused.Message);
    }

    [Fact]
    public void Decoded_images_are_cached_in_the_artifact_store_and_read_back_equal()
    {
        string root = MakeFolder("cached");
        string artifacts = ScratchFolders.New("cached-artifacts");
        var layout = ImageFolderLayout.Scan(root);
        var cached = ImageFolderData.Load(layout, 12, 3, new Runner.Training.Engine.DerivedFiles(artifacts));
        Assert.Single(Directory.GetFiles(Path.Combine(artifacts, "datasets"), "*.pixels"));
        var fresh = ImageFolderData.Load(layout, 12, 3, store: null);
        Assert.Equal(Bytes(fresh.Train), Bytes(cached.Train));
        Assert.Equal(fresh.Train.Labels, cached.Train.Labels);
        Assert.Equal(Bytes(fresh.Test), Bytes(cached.Test));
    }

    /// <summary>Every image's bytes, one after another.</summary>
    internal static byte[] Bytes(ImageSet set)
    {
        var bytes = new byte[set.Count * set.PixelsPerImage];
        for (int i = 0; i < set.Count; i++) set.Pixels.Copy(i, bytes.AsSpan(i * set.PixelsPerImage));
        return bytes;
    }
}
