using System.IO.Compression;
using System.Security.Cryptography;

namespace Runner.Training.Data;

/// <summary>
/// Finds the Fashion-MNIST files. Order: an explicit folder (--data), the sweep file's target.data, $RUNNER_DATA, the
/// user cache, Debian's dataset-fashion-mnist package, then a download into the user cache (checked by SHA-256),
/// then a clear error that says how to get the files.
/// </summary>
public static class DataLocator
{
    public const string SystemFolder = "/usr/share/datasets/fashion-mnist";
    const string BaseUrl = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

    /// <summary>SHA-256 of each file's uncompressed bytes, so a recompressed copy still checks out.</summary>
    static readonly Dictionary<string, string> ContentSha256 = new()
    {
        ["train-images-idx3-ubyte"] = "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        ["train-labels-idx1-ubyte"] = "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        ["t10k-images-idx3-ubyte"] = "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        ["t10k-labels-idx1-ubyte"] = "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    };

    public static string UserCacheFolder()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "runner", "fashion-mnist");
    }

    /// <summary>The folders tried, in order, each with where it came from (for messages).</summary>
    public static IEnumerable<(string Folder, string Source)> Candidates(string? explicitFolder, string? sweepFolder)
    {
        if (!string.IsNullOrEmpty(explicitFolder)) yield return (explicitFolder, "--data");
        if (!string.IsNullOrEmpty(sweepFolder)) yield return (sweepFolder, "target.data in the sweep file");
        string? env = Environment.GetEnvironmentVariable("RUNNER_DATA");
        if (!string.IsNullOrEmpty(env)) yield return (env, "RUNNER_DATA");
        yield return (UserCacheFolder(), "user cache");
        yield return (SystemFolder, "Debian package dataset-fashion-mnist");
    }

    /// <summary>
    /// The folder to read. An explicitly named folder (flag, file or environment) that lacks the files is an error
    /// rather than silently replaced by another dataset copy.
    /// </summary>
    public static string Locate(string? explicitFolder, string? sweepFolder, bool allowDownload = true, HttpClient? http = null)
    {
        foreach (var (folder, source) in Candidates(explicitFolder, sweepFolder))
        {
            if (FashionMnist.FolderHasAll(folder)) return folder;
            bool named = source is "--data" or "target.data in the sweep file" or "RUNNER_DATA";
            if (named)
                throw new DataException($"{folder}: no Fashion-MNIST files here (named by {source}); expected {string.Join(", ", FashionMnist.FileNames.Select(n => n + "[.gz]"))}");
        }
        if (allowDownload)
        {
            string cache = UserCacheFolder();
            string? failure = TryDownload(cache, http);
            if (failure == null) return cache;
            throw new DataException(NotFoundMessage($"the download failed: {failure}"));
        }
        throw new DataException(NotFoundMessage("downloading was not allowed"));
    }

    static string NotFoundMessage(string why) =>
        $"Fashion-MNIST not found ({why}). Install it with `apt-get install dataset-fashion-mnist` (files in {SystemFolder}), " +
        "or point --data DIR (or RUNNER_DATA) at a folder with the four IDX files.";

    /// <summary>Downloads the four files into <paramref name="folder"/>; returns null on success, else why it failed.</summary>
    public static string? TryDownload(string folder, HttpClient? http = null)
    {
        http ??= new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            Directory.CreateDirectory(folder);
            foreach (string name in FashionMnist.FileNames)
            {
                string target = Path.Combine(folder, name + ".gz");
                if (File.Exists(target) && ContentMatches(target, name)) continue;
                byte[] bytes = http.GetByteArrayAsync(BaseUrl + name + ".gz").GetAwaiter().GetResult();
                string temp = target + ".part";
                File.WriteAllBytes(temp, bytes);
                if (!ContentMatches(temp, name))
                {
                    File.Delete(temp);
                    return $"{name}.gz: SHA-256 does not match the published file";
                }
                File.Move(temp, target, overwrite: true);
            }
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    /// <summary>True when the gzip file's uncompressed bytes have the published SHA-256.</summary>
    public static bool ContentMatches(string gzipPath, string name)
    {
        try
        {
            using var input = new GZipStream(File.OpenRead(gzipPath), CompressionMode.Decompress);
            string hash = Convert.ToHexStringLower(SHA256.HashData(input));
            return hash == ContentSha256[name];
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return false;
        }
    }
}
