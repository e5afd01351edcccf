using Runner.Training.Data;

namespace Runner.Training.Tests;

public class DataTests
{
    [Fact]
    public void The_shipped_subset_loads_with_balanced_classes()
    {
        var data = FashionMnist.Load(TestData.Subset);
        Assert.Equal(10_000, data.Train.Count);
        Assert.Equal(5_000, data.Test.Count);
        Assert.Equal((28, 28), (data.Train.Rows, data.Train.Columns));
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1000, data.Train.IndicesOf(c).Count));
        Assert.Equal("Sneaker", FashionMnist.ClassNames[7]);
    }

    [Fact]
    public void Idx_files_read_the_same_plain_or_gzipped()
    {
        string dir = ScratchFolders.New("idx");
        var pixels = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)i).ToArray();
        IdxFile.WriteGzip(Path.Combine(dir, "a.gz"), new[] { 2, 3, 4 }, pixels);
        using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(dir, "a.gz")), System.IO.Compression.CompressionMode.Decompress))
        using (var plain = File.Create(Path.Combine(dir, "a")))
            gz.CopyTo(plain);
        var fromGzip = IdxFile.Read(Path.Combine(dir, "a.gz"));
        var fromPlain = IdxFile.Read(Path.Combine(dir, "a"));
        Assert.Equal(new[] { 2, 3, 4 }, fromGzip.Dimensions);
        Assert.Equal(pixels, fromGzip.Data);
        Assert.Equal(fromGzip.Data, fromPlain.Data);
    }

    [Fact]
    public void Truncated_and_corrupt_files_name_the_file()
    {
        string dir = ScratchFolders.New("idx-bad");
        string truncated = Path.Combine(dir, "train-images-idx3-ubyte");
        var noise = new byte[10 * 28 * 28];
        new Random(1).NextBytes(noise);
        IdxFile.WriteGzip(truncated + ".gz", new[] { 10, 28, 28 }, noise);
        var bytes = File.ReadAllBytes(truncated + ".gz");
        File.WriteAllBytes(truncated + ".gz", bytes[..(bytes.Length / 2)]);
        var e1 = Assert.Throws<DataException>(() => IdxFile.Read(truncated + ".gz"));
        Assert.StartsWith(truncated + ".gz: corrupt or truncated gzip data", e1.Message);

        string shortPlain = Path.Combine(dir, "short");
        File.WriteAllBytes(shortPlain, new byte[] { 0, 0, 8, 1, 0, 0, 0, 5, 1, 2 });
        var e2 = Assert.Throws<DataException>(() => IdxFile.Read(shortPlain));
        Assert.Equal($"{shortPlain}: truncated or padded: the header promises 5 bytes of data, the file has 2", e2.Message);

        string notIdx = Path.Combine(dir, "text");
        File.WriteAllText(notIdx, "hello world");
        Assert.Contains("not an IDX file", Assert.Throws<DataException>(() => IdxFile.Read(notIdx)).Message);
    }

    [Fact]
    public void A_named_data_folder_without_the_files_is_an_error_not_a_silent_fallback()
    {
        string empty = ScratchFolders.New("empty-data");
        var e = Assert.Throws<DataException>(() => DataLocator.Locate(empty, null, allowDownload: false));
        Assert.StartsWith($"{empty}: no Fashion-MNIST files here (named by --data)", e.Message);
        Assert.Equal(TestData.Subset, DataLocator.Locate(TestData.Subset, empty, allowDownload: false));
        Assert.Equal(TestData.Subset, DataLocator.Locate(null, TestData.Subset, allowDownload: false));
    }

    [Fact]
    public void A_failed_download_ends_in_advice_naming_the_Debian_package_and_the_data_option()
    {
        string cache = ScratchFolders.New("cache");
        var old = (Environment.GetEnvironmentVariable("XDG_CACHE_HOME"), Environment.GetEnvironmentVariable("RUNNER_DATA"));
        try
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", cache);
            Environment.SetEnvironmentVariable("RUNNER_DATA", null);
            bool systemCopy = FashionMnist.FolderHasAll(DataLocator.SystemFolder);
            var http = new HttpClient(new RefusingHandler());
            if (systemCopy)
            {
                Assert.Equal(DataLocator.SystemFolder, DataLocator.Locate(null, null, true, http));
                return;
            }
            var e = Assert.Throws<DataException>(() => DataLocator.Locate(null, null, true, http));
            Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
            Assert.Contains("--data DIR", e.Message);
            Assert.Contains("no network here", e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", old.Item1);
            Environment.SetEnvironmentVariable("RUNNER_DATA", old.Item2);
        }
    }

    [Fact]
    public void A_download_is_only_kept_when_its_content_hash_matches()
    {
        string folder = ScratchFolders.New("download");
        var http = new HttpClient(new ServingHandler(TestData.Subset));
        // The subset is not the published dataset, so its files must be refused.
        string? failure = DataLocator.TryDownload(folder, http);
        Assert.Equal("train-images-idx3-ubyte.gz: SHA-256 does not match the published file", failure);
        Assert.Empty(Directory.GetFiles(folder));
        if (FashionMnist.FolderHasAll(DataLocator.SystemFolder))
        {
            // Debian's copy is recompressed but has the published content: it is accepted.
            Assert.Null(DataLocator.TryDownload(folder, new HttpClient(new ServingHandler(DataLocator.SystemFolder))));
            Assert.True(FashionMnist.FolderHasAll(folder));
        }
    }

    [Fact]
    public void Target_splits_are_balanced_disjoint_nested_and_reproducible()
    {
        var data = FashionMnist.Load(TestData.Subset);
        int[] classes = { 5, 6, 7, 8, 9 };
        var a = TaskSplits.Target(data.Train, data.Test, classes, 100, 50, seed: 1);
        var again = TaskSplits.Target(data.Train, data.Test, classes, 100, 50, seed: 1);
        var bigger = TaskSplits.Target(data.Train, data.Test, classes, 100, 200, seed: 1);
        var otherSeed = TaskSplits.Target(data.Train, data.Test, classes, 100, 50, seed: 2);

        Assert.Equal(250, a.Train.Length);
        Assert.Equal(500, a.Validation.Length);
        Assert.Equal(2500, a.Test.Length);
        Assert.All(classes, c => Assert.Equal(50, a.Train.Count(i => data.Train.Labels[i] == c)));
        Assert.Empty(a.Train.Intersect(a.Validation));
        Assert.Equal(a.Train, again.Train);
        Assert.Subset(bigger.Train.ToHashSet(), a.Train.ToHashSet());
        Assert.Equal(a.Validation, otherSeed.Validation); // every trial is judged on the same validation images
        Assert.NotEqual(a.Train, otherSeed.Train);
        Assert.Equal(new[] { 50, 50, 50, 50, 50 }, a.TrainPerClass);
        // More than a class holds takes all it has (900 after 100 validation images); nothing left to train on is refused.
        Assert.Equal(new[] { 900, 900, 900, 900, 900 }, TaskSplits.Target(data.Train, data.Test, classes, 100, 901, 1).TrainPerClass);
        var starved = Assert.Throws<DataException>(() => TaskSplits.Target(data.Train, data.Test, classes, 1000, 10, 1));
        Assert.Contains("class 5 has 1000 training images: not enough for 1000 validation images and at least one to train on", starved.Message);
    }

    sealed class RefusingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("no network here");
    }

    sealed class ServingHandler(string folder) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string name = Path.GetFileName(request.RequestUri!.AbsolutePath);
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK)
            {
                Content = new ByteArrayContent(File.ReadAllBytes(Path.Combine(folder, name))),
            });
        }
    }
}
