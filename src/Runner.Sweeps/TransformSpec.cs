using System.Globalization;
using MessagePack;

namespace Runner.Sweeps;

/// <summary>
/// How an image folder's images become the model's input, with torchvision's meanings (<c>target.dataset.transforms</c>).
/// Each image is decoded once with its shorter side resized to <paramref name="Resize"/> and the central square kept
/// (torchvision's <c>Resize(resize)</c>; the square holds every pixel a center crop can reach). Evaluation takes the
/// central <c>image_size</c> square (<c>CenterCrop</c>). Training takes a <c>RandomResizedCrop(image_size, scale,
/// ratio)</c> of that square (<paramref name="TrainCrop"/> random-resized), or the same center crop (center); then a
/// horizontal flip of half the images (<paramref name="Flip"/>) and brightness, contrast and saturation each scaled by a
/// factor drawn from [1 − j, 1 + j] (<paramref name="ColorJitter"/> j; applied in that order, where torchvision
/// shuffles it). <paramref name="Mean"/> and <paramref name="Std"/> override the model's normalization (ImageNet's for
/// RGB models). Random choices come from the trial's seeded generator: a trial augments the same way every time.
/// </summary>
[MessagePackObject]
public sealed record TransformSpec(
    [property: Key(0)] int Resize,
    [property: Key(1)] string TrainCrop = TransformSpec.RandomResized,
    [property: Key(2)] double ScaleMin = 0.08,
    [property: Key(3)] double ScaleMax = 1.0,
    [property: Key(4)] double RatioMin = 3.0 / 4,
    [property: Key(5)] double RatioMax = 4.0 / 3,
    [property: Key(6)] bool Flip = true,
    [property: Key(7)] double ColorJitter = 0,
    [property: Key(8)] float[]? Mean = null,
    [property: Key(9)] float[]? Std = null)
{
    public const string RandomResized = "random-resized", Center = "center";
    public static readonly string[] TrainCrops = { RandomResized, Center };

    /// <summary>torchvision's evaluation ratio: a 224-px crop of images resized to 256.</summary>
    public const double CropRatio = 0.875;

    /// <summary>The resize that goes with an input size by torchvision's convention (256 for 224).</summary>
    public static int DefaultResize(int imageSize) => (int)Math.Round(imageSize / CropRatio);

    /// <summary>Whether training draws anything at random (then cached frozen-prefix features cannot stand in for the images).</summary>
    [IgnoreMember, System.Text.Json.Serialization.JsonIgnore]
    public bool IsRandom => TrainCrop == RandomResized || Flip || ColorJitter > 0;

    /// <summary>The settings as one line for trial ids: every field, numbers in round-trip form.</summary>
    public string Canonical()
    {
        static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        static string L(float[]? v) => v == null ? "model" : string.Join(",", v.Select(x => N(x)));
        return $"resize={Resize};train={TrainCrop};scale={N(ScaleMin)},{N(ScaleMax)};ratio={N(RatioMin)},{N(RatioMax)};flip={Flip};jitter={N(ColorJitter)};mean={L(Mean)};std={L(Std)}";
    }

    /// <summary>What is wrong with these settings for images of <paramref name="imageSize"/> px and <paramref name="channels"/> channels (none: empty).</summary>
    public IEnumerable<string> Problems(int imageSize, int channels)
    {
        if (imageSize <= 0) { yield return "transforms need target.dataset.image_size (the crop's side)"; yield break; }
        if (Resize < imageSize) yield return $"transforms.resize {Resize} is smaller than image_size {imageSize}: the center crop would not fit";
        if (!TrainCrops.Contains(TrainCrop)) yield return $"transforms.train_crop must be one of {string.Join(", ", TrainCrops)}, got '{TrainCrop}'";
        if (!(ScaleMin > 0 && ScaleMin <= ScaleMax && ScaleMax <= 1)) yield return $"transforms.scale must be [min, max] with 0 < min <= max <= 1, got [{ScaleMin}, {ScaleMax}]";
        if (!(RatioMin > 0 && RatioMin <= RatioMax)) yield return $"transforms.ratio must be [min, max] with 0 < min <= max, got [{RatioMin}, {RatioMax}]";
        if (ColorJitter is < 0 or >= 1) yield return $"transforms.color_jitter must be in [0, 1), got {ColorJitter}";
        foreach (var (name, values) in new[] { ("mean", Mean), ("std", Std) })
            if (values != null && values.Length != channels)
                yield return $"transforms.{name} needs {channels} value(s), one per channel of the model's input, got {values.Length}";
        if (Std?.Any(s => !(s > 0)) == true) yield return "transforms.std values must be > 0";
    }
}
