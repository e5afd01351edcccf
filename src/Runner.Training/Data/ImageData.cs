namespace Runner.Training.Data;

/// <summary>
/// A dataset's train and test splits, and a fingerprint of its content (part of every cache key built on it);
/// <see cref="Validation"/> when the data has a validation split of its own (an image folder's val/), else trials
/// carve validation images out of <see cref="Train"/>.
/// </summary>
public abstract record ImageData(ImageSet Train, ImageSet Test, string Fingerprint)
{
    public virtual ImageSet? Validation => null;
}
