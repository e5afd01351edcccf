using Runner.Sweeps;
using Runner.Training.Data;

namespace Runner.Training.Engine;

/// <summary>Finds a trial's data: its image folder (checked against the fingerprint the sweep recorded) or Fashion-MNIST.</summary>
public static class TargetData
{
    public static ImageData Load(TrialSpec spec, TrialEnvironment env)
    {
        if (!spec.IsImageFolder)
            return FashionMnist.Load(DataLocator.Locate(env.DataFolder, spec.DataPath ?? env.SweepDataFolder, env.AllowDownload));
        var layout = Folder(spec, env);
        int size = spec.ImageSize > 0 ? spec.ImageSize : KnownModels.Get(spec.Model)?.InputSize ?? 224;
        if (spec.Transforms is not { } transforms)
            return ImageFolderData.Load(layout, size, ChannelsOf(spec.Model), env.Artifacts, env.Log, spec.SkipBadImages);
        // Stored at the resize, the model sees center crops of image_size (training may crop at random instead).
        var stored = ImageFolderData.Load(layout, transforms.Resize, ChannelsOf(spec.Model), env.Artifacts, env.Log, spec.SkipBadImages);
        return stored.Cropped(size, transforms.Mean, transforms.Std);
    }

    /// <summary>
    /// The trial's image folder: the path the sweep names when this host has it with the files the sweep was
    /// submitted with; else the copy the client uploaded to the coordinator (fetched and unpacked once per host).
    /// </summary>
    static ImageFolderLayout Folder(TrialSpec spec, TrialEnvironment env)
    {
        string path = spec.DataPath ?? throw new DataException($"trial {spec.Id}: an image-folder trial without its folder");
        ImageFolderLayout? local = null;
        string? problem = null;
        try { local = ImageFolderLayout.Open(path); }
        catch (ImageFolderException e) { problem = e.Message; }
        if (local != null && local.Facts.Name == spec.TargetDataset) return local;
        if (spec.DataArchiveSha256 != null && env.Shared != null)
        {
            string copy = env.Shared.Folder(spec.DataArchiveSha256);
            try { return ImageFolderLayout.Open(ImageFolderLayout.InUnpacked(copy, path)); }
            catch (ImageFolderException e) { throw new DataException($"the uploaded copy of {path}: {e.Message}"); }
        }
        if (local == null) throw new DataException(problem!);
        throw new DataException($"{path}: the folder's files changed since the sweep was submitted (fingerprint {local.Fingerprint}, submitted {spec.TargetDataset}); submit the sweep again");
    }

    /// <summary>The source data Runner pretrains on: the built-in dataset, even when the target is a folder.</summary>
    public static FashionMnist Source(TrialSpec spec, TrialEnvironment env, ImageData target) => target as FashionMnist ?? Source(spec, env);

    /// <summary>The source data of a trial's base, without loading its target (what a pretraining task reads).</summary>
    public static FashionMnist Source(TrialSpec spec, TrialEnvironment env) =>
        FashionMnist.Load(DataLocator.Locate(env.DataFolder, spec.IsImageFolder ? null : spec.DataPath ?? env.SweepDataFolder, env.AllowDownload));

    public static int ChannelsOf(string model) => KnownModels.InputChannels(model);
}
