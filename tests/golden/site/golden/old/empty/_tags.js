window.sitegenTags = [];
