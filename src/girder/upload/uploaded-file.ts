/** What an upload did with one local file. */
export interface UploadedFile {
  /** The file on this host. */
  hostPath: string;
  /** The Girder file: the new one, the one whose contents were replaced, or the one already there. */
  fileId: string;
  name: string;
  size: number;
  /**
   * `skipped` when the item already held a file of that name and size (girder_client's "File X
   * already exists in parent Item"); `replaced` when it held one of another size.
   */
  outcome: 'created' | 'replaced' | 'skipped';
}
