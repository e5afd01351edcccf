using System.Security.Cryptography;
using System.Text;
using Runner.Artifacts;
using Runner.Sweeps;
using Spectre.Console;

namespace Runner.Cli;

/// <summary>
/// Before a sweep reaches a cluster, the files it names on this machine travel to the coordinator's artifact store:
/// the weight file (by the SHA-256 the sweep recorded) and the image folder (as one archive, see
/// <see cref="FolderArchive"/>, whose SHA-256 the trials then carry). What the coordinator already has is not sent
/// again; an interrupted upload resumes on the next submit. Trial ids do not change: they name the folder by its
/// fingerprint and the weights by their SHA-256, wherever the files sit.
/// </summary>
public static class SweepUploads
{
    /// <summary>Uploads above this size get a progress bar on a terminal.</summary>
    const long ProgressBarBytes = 16L << 20;

    public static SweepRequest Send(SweepRequest request, ArtifactClient client, CliContext context)
    {
        foreach (var (path, sha) in request.Specs.Where(t => t.WeightsPath != null && t.WeightsSha256 != null)
                     .Select(t => (t.WeightsPath!, t.WeightsSha256!)).Distinct())
        {
            if (Readable(path) != sha)
                throw new CommandFailedException($"{path}: changed since the sweep file was read (its SHA-256 differs); run the command again");
            Upload(client, path, sha, $"weights {Path.GetFileName(path)}", context);
        }
        var archives = new Dictionary<string, string>();
        foreach (var trial in request.Specs.Where(t => t.IsImageFolder).DistinctBy(t => t.DataPath))
        {
            string folder = trial.DataPath!;
            ImageFolderLayout layout;
            try { layout = ImageFolderLayout.Open(folder); }
            catch (Exception e) when (e is ImageFolderException or IOException or UnauthorizedAccessException)
            {
                throw new CommandFailedException($"{folder}: cannot read the image folder ({e.Message})");
            }
            if (layout.Facts.Name != trial.TargetDataset)
                throw new CommandFailedException($"{folder}: the folder's files changed while the sweep was being submitted; run the command again");
            string archive = Archive(layout);
            string sha = ContentHash.Of(archive);
            Upload(client, archive, sha, $"image folder {Path.GetFileName(layout.Source)} ({layout.AllFiles.Count():N0} images)", context);
            // Sent: the coordinator keeps it. An archive that did not get there stays for the next submit to resume.
            File.Delete(archive);
            archives[folder] = sha;
        }
        return archives.Count == 0 ? request : request.WithSpecs(t => t.IsImageFolder ? t with { DataArchiveSha256 = archives[t.DataPath!] } : t);
    }

    /// <summary>The folder's archive, in the user cache: named by the files' paths, sizes and write times, so an interrupted upload finds it again.</summary>
    static string Archive(ImageFolderLayout layout)
    {
        var files = layout.UploadFiles.ToList();
        var listing = new StringBuilder(layout.Source).Append('\n');
        foreach (string f in files)
        {
            var info = new FileInfo(f);
            listing.Append(f).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        }
        string key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(listing.ToString())))[..24];
        string folder = Path.Combine(Path.GetDirectoryName(Runner.Training.Data.DataLocator.UserCacheFolder())!, "uploads");
        Directory.CreateDirectory(folder);
        string archive = Path.Combine(folder, key + ".tar");
        if (!File.Exists(archive))
        {
            try { FolderArchive.Write(layout.Root, files, archive); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CommandFailedException($"{layout.Root}: cannot pack the image folder ({e.Message})");
            }
        }
        return archive;
    }

    static string Readable(string path)
    {
        try { return ContentHash.Of(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException($"{path}: cannot read the file ({e.Message})");
        }
    }

    static void Upload(ArtifactClient client, string path, string sha, string what, CliContext context)
    {
        long size = new FileInfo(path).Length;
        try
        {
            if (client.Has(sha, context.Cancel).GetAwaiter().GetResult())
            {
                context.Out.WriteLine($"{what}: the coordinator has it already");
                return;
            }
            if (context.IsTerminal && size >= ProgressBarBytes)
                context.Console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                        new TransferSpeedColumn(), new RemainingTimeColumn())
                    .Start(p =>
                    {
                        var task = p.AddTask(Markup.Escape($"uploading {what}"), maxValue: size);
                        client.Upload(path, sha, new Progress<long>(done => task.Value = done), context.Cancel).GetAwaiter().GetResult();
                        task.Value = size;
                    });
            else
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                long sent = client.Upload(path, sha, null, context.Cancel).GetAwaiter().GetResult();
                context.Out.WriteLine($"{what}: uploaded {sent / 1048576.0:F1} MiB in {clock.Elapsed.TotalSeconds:F1} s");
            }
        }
        catch (FileNotFoundException)
        {
            throw new CommandFailedException($"{path}: the file vanished before it was uploaded");
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new CommandFailedException($"uploading {what} to {client.BaseUrl}: {e.Message}");
        }
    }
}
