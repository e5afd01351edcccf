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
        ImageFolderLayout layout;
        try { layout = ImageFolderLayout.Scan(spec.DataPath ?? throw new DataException($"trial {spec.Id}: an image-folder trial without its folder")); }
        catch (ImageFolderException e) { throw new DataException(e.Message); }
        if (layout.Facts.Name != spec.TargetDataset)
            throw new DataException($"{spec.DataPath}: the folder's files changed since the sweep was submitted (fingerprint {layout.Fingerprint}, submitted {spec.TargetDataset}); submit the sweep again");
        int size = spec.ImageSize > 0 ? spec.ImageSize : KnownModels.Get(spec.Model)?.InputSize ?? 224;
        return ImageFolderData.Load(layout, size, ChannelsOf(spec.Model), env.Artifacts, env.Log);
    }

    /// <summary>The source data Runner pretrains on: the built-in dataset, even when the target is a folder.</summary>
    public static FashionMnist Source(TrialSpec spec, TrialEnvironment env, ImageData target) =>
        target as FashionMnist ?? FashionMnist.Load(DataLocator.Locate(env.DataFolder, null, env.AllowDownload));

    /// <summary>convnet4 is built for grayscale; the torchvision models for RGB.</summary>
    public static int ChannelsOf(string model) => model == "convnet4" ? 1 : 3;
}
